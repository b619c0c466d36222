/**
 * Group commit for a synchronous store (SQLite with synchronous FULL syncs at every commit): the writes asked for
 * during one event-loop turn run together in one transaction on the next turn, and each caller's promise settles
 * once that transaction is on disk. A write that throws fails alone (the store undoes it by itself); a failed
 * commit of the group fails every write in it. Under load a worker pays one sync per turn instead of one per
 * request.
 */
export type Schedule = (run: () => void) => void;

interface Pending<T> {
  readonly op: () => T;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

export class TurnWrites {
  readonly #group: (fn: () => void) => void;
  readonly #schedule: Schedule;
  #queue: Pending<unknown>[] = [];

  /** `group` runs a function as one durable transaction (BlobStore.group, Mailbox.group). */
  constructor(group: (fn: () => void) => void, schedule: Schedule = setImmediate) {
    this.#group = group;
    this.#schedule = schedule;
  }

  /** Runs `op` in the next group; resolves with its result once the group is durable. */
  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) this.#schedule(() => this.#flush());
      this.#queue.push({ op, resolve, reject } as Pending<unknown>);
    });
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.#group(() => {
        for (const item of queue) {
          try {
            outcomes.push({ ok: true, value: item.op() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of queue) item.reject(error);
      return;
    }
    queue.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
