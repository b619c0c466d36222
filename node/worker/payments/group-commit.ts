/**
 * Group commit for acknowledgements: the accepts that arrive before the scheduled flush wait for one
 * transaction, so a burst costs one sync instead of one per receipt. The scheduler is injected so tests and the
 * simulator decide when a flush happens; by default it is the next event-loop turn.
 */

/**
 * A durable transaction shared with other writers of the same file, committed once per turn (a worker's service
 * log: ServiceLog.stage): `run` puts `write` into the next one and resolves once it is on disk; if `write` or the
 * transaction fails it rejects, and nothing of the transaction is on disk.
 */
export interface SharedCommit {
  run(write: () => void): Promise<void>;
}

/** Runs `flush` later; returns a function that cancels it. */
export type Scheduler = (flush: () => void) => () => void;

export const nextTurn: Scheduler = (flush) => {
  const handle = setImmediate(flush);
  return () => clearImmediate(handle);
};

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit {
  readonly #write: () => void;
  readonly #schedule: Scheduler;
  readonly #maxGroup: number;
  #waiters: Waiter[] = [];
  #cancel: (() => void) | undefined;

  /** `write` commits everything pending durably or throws; at `maxGroup` waiters it runs at once. */
  constructor(write: () => void, schedule: Scheduler, maxGroup: number) {
    if (!Number.isSafeInteger(maxGroup) || maxGroup < 1) throw new RangeError('maxGroup must be a positive integer');
    this.#write = write;
    this.#schedule = schedule;
    this.#maxGroup = maxGroup;
  }

  get pending(): number {
    return this.#waiters.length;
  }

  /** Resolves once the next flush has committed; rejects with its error if it fails. */
  wait(): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters.push({ resolve, reject });
    if (this.#waiters.length >= this.#maxGroup) {
      this.#flushQuietly();
    } else {
      this.#cancel ??= this.#schedule(() => {
        this.#cancel = undefined;
        this.#flushQuietly();
      });
    }
    return promise;
  }

  /** Commits now and settles the waiters; rethrows a failed write after rejecting them with it. */
  flush(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    const group = this.#waiters;
    this.#waiters = [];
    try {
      this.#write();
    } catch (error) {
      for (const waiter of group) waiter.reject(error);
      throw error;
    }
    for (const waiter of group) waiter.resolve();
  }

  #flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // The waiters' promises carry the error.
    }
  }
}
