/**
 * Group commit for the service log: the appendAsync calls of one event-loop turn wait here and go into one
 * transaction on the next turn (setImmediate), so a burst costs one sync instead of one per entry. Any other
 * write takes the waiting entries along first, because they were called first: seq order is call order.
 *
 * Writes of other tables in the same SQLite file can ride along (`stage`, and an entry's `alongside`): they run
 * inside the same transaction, before the entries, whichever write takes the group — so an entry is never on disk
 * without what was staged with it (a worker's archived receipt), and a worker pays one sync per turn for its
 * receipts, archive and log together.
 */
import type { BatchRecord } from './service-log-batch.ts';
import type { AppendResult } from './service-log-write.ts';

/**
 * One write transaction: runs `alongside` in order, appends `encoded` in order, seals full batches (and the rest
 * when sealAll).
 */
export type CommitWrite = (
  encoded: readonly Uint8Array[],
  sealAll: boolean,
  alongside: readonly (() => void)[],
) => { readonly appended: readonly AppendResult[]; readonly sealed: BatchRecord[] };

/** An entry to append, or (without `encoded`) only a write that rides along. */
interface Pending {
  readonly encoded: Uint8Array | undefined;
  readonly alongside: (() => void) | undefined;
  readonly resolve: (result: AppendResult | undefined) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit {
  readonly #write: CommitWrite;
  #pending: Pending[] = [];
  #flushTimer: NodeJS.Immediate | undefined;

  constructor(write: CommitWrite) {
    this.#write = write;
  }

  /** Entries and staged writes waiting for the next group commit. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Queues an encoded entry for the next turn's transaction; resolves once that transaction is durable.
   * `alongside` runs inside the same transaction, before the entries.
   */
  enqueue(encoded: Uint8Array, alongside?: () => void): Promise<AppendResult> {
    return this.#queue(encoded, alongside) as Promise<AppendResult>;
  }

  /** Queues a write of other tables for the next turn's transaction; resolves once that transaction is durable. */
  stage(write: () => void): Promise<void> {
    return this.#queue(undefined, write).then(() => undefined);
  }

  #queue(encoded: Uint8Array | undefined, alongside: (() => void) | undefined): Promise<AppendResult | undefined> {
    const { promise, resolve, reject } = Promise.withResolvers<AppendResult | undefined>();
    this.#pending.push({ encoded, alongside, resolve, reject });
    this.#flushTimer ??= setImmediate(() => {
      this.#flushTimer = undefined;
      try {
        this.flush();
      } catch {
        // The group's promises carry the error.
      }
    });
    return promise;
  }

  /** Writes the waiting entries now, if any. */
  flush(): void {
    if (this.#pending.length > 0) this.writeWith([], false);
  }

  /**
   * Writes the waiting entries (and staged writes), then `encoded`, in one transaction, and settles the waiting
   * ones' promises: all resolve, or all reject with the transaction's error (which is rethrown). Returns the
   * results of `encoded`.
   */
  writeWith(encoded: Uint8Array[], sealAll: boolean): { appended: AppendResult[]; sealed: BatchRecord[] } {
    const group = this.#pending;
    this.#pending = [];
    const { encoded: waiting, alongside } = split(group);
    let written: ReturnType<CommitWrite>;
    try {
      written = this.#write(waiting.length === 0 ? encoded : [...waiting, ...encoded], sealAll, alongside);
    } catch (error) {
      for (const item of group) item.reject(error);
      throw error;
    }
    settle(group, written.appended);
    return { appended: written.appended.slice(waiting.length), sealed: written.sealed };
  }

  /** Cancels the next turn's flush (the owner writes or abandons the waiting entries itself). */
  cancelTimer(): void {
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    this.#flushTimer = undefined;
  }
}

function split(group: readonly Pending[]): { encoded: Uint8Array[]; alongside: (() => void)[] } {
  const encoded: Uint8Array[] = [];
  const alongside: (() => void)[] = [];
  for (const item of group) {
    if (item.encoded !== undefined) encoded.push(item.encoded);
    if (item.alongside !== undefined) alongside.push(item.alongside);
  }
  return { encoded, alongside };
}

/** Resolves a written group: each entry with its result, in order (the first results are the group's). */
function settle(group: readonly Pending[], appended: readonly AppendResult[]): void {
  let at = 0;
  for (const item of group) item.resolve(item.encoded === undefined ? undefined : appended[at++]);
}
