/**
 * Group commit for the service log: the appendAsync calls of one event-loop turn wait here and go into one
 * transaction on the next turn (setImmediate), so a burst costs one sync instead of one per entry. Any other
 * write takes the waiting entries along first, because they were called first: seq order is call order.
 */
import type { BatchRecord } from './service-log-batch.ts';
import type { AppendResult } from './service-log-write.ts';

/** One write transaction: appends `encoded` in order, seals full batches (and the rest when sealAll). */
export type CommitWrite = (
  encoded: readonly Uint8Array[],
  sealAll: boolean,
) => { readonly appended: readonly AppendResult[]; readonly sealed: BatchRecord[] };

interface PendingAppend {
  readonly encoded: Uint8Array;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit {
  readonly #write: CommitWrite;
  #pending: PendingAppend[] = [];
  #flushTimer: NodeJS.Immediate | undefined;

  constructor(write: CommitWrite) {
    this.#write = write;
  }

  /** Appends waiting for the next group commit. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Queues an encoded entry for the next turn's transaction; resolves once that transaction is durable. */
  enqueue(encoded: Uint8Array): Promise<AppendResult> {
    const { promise, resolve, reject } = Promise.withResolvers<AppendResult>();
    this.#pending.push({ encoded, resolve, reject });
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
   * Writes the waiting entries, then `encoded`, in one transaction, and settles the waiting ones' promises: all
   * resolve, or all reject with the transaction's error (which is rethrown). Returns the results of `encoded`.
   */
  writeWith(encoded: Uint8Array[], sealAll: boolean): { appended: AppendResult[]; sealed: BatchRecord[] } {
    const group = this.#pending;
    this.#pending = [];
    let written: ReturnType<CommitWrite>;
    try {
      written = this.#write(group.length === 0 ? encoded : [...group.map((p) => p.encoded), ...encoded], sealAll);
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
      throw error;
    }
    group.forEach((waiting, i) => waiting.resolve(written.appended[i] as AppendResult));
    return { appended: written.appended.slice(group.length), sealed: written.sealed };
  }

  /** Cancels the next turn's flush (the owner writes or abandons the waiting entries itself). */
  cancelTimer(): void {
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    this.#flushTimer = undefined;
  }
}
