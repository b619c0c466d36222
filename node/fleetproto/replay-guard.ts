/**
 * The replay guard of a device's command streams (SPEC §9): a command or desired state is accepted only with a
 * sequence number above the last one accepted on its stream, and that number is stored before the command is
 * handed on. Storing first means a command interrupted by a crash is not run twice; a fleet that must know
 * whether it ran waits for its `cmd/result`.
 *
 * The two streams, `cmd` and `desired`, count separately: desired state is retained on the broker and arrives
 * again on every reconnect, while commands are one-shot, so one counter would make either stale by the other.
 */
import { FleetProtoError } from './errors.ts';

export type CommandStream = 'cmd' | 'desired';

/** Durable storage of the last accepted sequence number per stream; injected, so the device decides where. */
export interface SequenceStore {
  /** The last accepted sequence number of `stream`, or undefined when none was ever accepted. */
  last(stream: CommandStream): number | undefined | Promise<number | undefined>;
  /** Records `seq` as the last accepted of `stream`; it must be durable when this returns or resolves. */
  save(stream: CommandStream, seq: number): void | Promise<void>;
}

/** A SequenceStore in memory: for tests, and for the fleet side's views of what it sent. */
export class MemorySequenceStore implements SequenceStore {
  readonly #last = new Map<CommandStream, number>();

  last(stream: CommandStream): number | undefined {
    return this.#last.get(stream);
  }

  save(stream: CommandStream, seq: number): void {
    this.#last.set(stream, seq);
  }
}

export class ReplayGuard {
  readonly #store: SequenceStore;
  /** Checks run one at a time: two copies of one command arriving together must not both pass the check. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(store: SequenceStore) {
    this.#store = store;
  }

  /**
   * Accepts `seq` on `stream` and stores it, or throws STALE (below the last accepted, or 0), REPLAY (equal to
   * it) or STORE_FAILED (nothing accepted).
   */
  accept(stream: CommandStream, seq: number): Promise<void> {
    const run = this.#tail.then(() => this.#accept(stream, seq));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #accept(stream: CommandStream, seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 1) {
      throw new FleetProtoError('STALE', `${stream} sequence numbers start at 1, got ${seq}`, { seq });
    }
    let last: number | undefined;
    try {
      last = await this.#store.last(stream);
    } catch (cause) {
      throw new FleetProtoError('STORE_FAILED', `cannot read the last ${stream} sequence number`, { cause, seq });
    }
    if (last !== undefined && seq === last) {
      throw new FleetProtoError('REPLAY', `${stream} ${seq} was already accepted`, { seq });
    }
    if (last !== undefined && seq < last) {
      throw new FleetProtoError('STALE', `${stream} ${seq} is older than the last accepted, ${last}`, { seq });
    }
    try {
      await this.#store.save(stream, seq);
    } catch (cause) {
      throw new FleetProtoError('STORE_FAILED', `cannot store ${stream} sequence number ${seq}`, { cause, seq });
    }
  }
}
