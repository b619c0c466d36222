/**
 * The service log engine (docs/store.md "Service log", SPEC §6 items 3 and 5, §8): an append-only, hash-chained
 * log of served requests in SQLite, sealed into Merkle batches for audits. This class composes the parts and
 * guards the public API; the work is in:
 *
 * - service-log-write.ts: the write transaction (append, seal, meta tail);
 * - service-log-group-commit.ts: appendAsync's per-turn queue;
 * - service-log-tail.ts: the in-memory chain tail, rebuilt and re-checked at reopen;
 * - service-log-audit.ts: proofs from the stored rows;
 * - service-log-prune.ts: retention.
 *
 * Durability: WAL with synchronous=FULL, so a transaction is on disk when its commit returns; an append is
 * acknowledged (returned, or its promise resolved) only after the commit that holds it. appendAsync groups the
 * appends of one event-loop turn into one transaction, so a burst costs one sync instead of one per entry.
 *
 * Single writer: the log keeps the chain tail in memory and checks, inside every write transaction, that the
 * tail the database records (meta last_seq / last_batch, committed with the rows) is still the one it holds,
 * so a second process appending to the same file fails (CORRUPT) instead of forking the chain.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { BatchRecord } from './service-log-batch.ts';
import { proveSealedEntry } from './service-log-audit.ts';
import { encodeEntryTemplate, type ServiceLogEntry, type ServiceLogEntryInput } from './service-log-entry.ts';
import { ServiceLogError } from './service-log-errors.ts';
import { GroupCommit } from './service-log-group-commit.ts';
import type { LogProof } from './service-log-proof.ts';
import { type PruneLimit, type PruneResult, pruneLog } from './service-log-prune.ts';
import { decodeStoredEntry, logStatements, storedBatch, storedEntryRow } from './service-log-rows.ts';
import { ensureSchema, type LogMeta } from './service-log-schema.ts';
import { type ChainState, checkOwnTail, loadChainState } from './service-log-tail.ts';
import { type LogVerifyOptions, type LogVerifyReport, verifyServiceLogDatabase } from './service-log-verify.ts';
import { type AppendResult, type LogWriter, type Written, writeLog } from './service-log-write.ts';

export type { AppendResult } from './service-log-write.ts';
export type { PruneLimit, PruneResult } from './service-log-prune.ts';

export const DEFAULT_BATCH_SIZE = 1024;
/** Bounds the in-memory tail (one hash and time per unsealed entry) and the work of one seal. */
export const MAX_BATCH_SIZE = 1 << 20;
/** WAL file size kept after a checkpoint, so a burst does not leave a large WAL on a small SD card. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

export interface ServiceLogOptions {
  /** SQLite file; ':memory:' for a throwaway log. */
  readonly path: string;
  /**
   * An open connection to `path` to share with other tables of the same file (a worker's receipts): the log then
   * leaves its settings to the caller (WAL, synchronous FULL) and does not close it. Their writes can join the
   * log's group commit (`stage`, appendAsync's `alongside`).
   */
  readonly db?: Database.Database;
  /** Entries per sealed batch; default 1024. */
  readonly batchSize?: number;
  /** Wall clock in ms since the Unix epoch; default Date.now. */
  readonly now?: () => number;
}

/** Where the chain ends: what a device compares after an unclean stop. */
export interface LogTail {
  readonly seq: number;
  readonly hash: Uint8Array;
  readonly time: number;
  readonly sealedThrough: number;
  readonly batchIndex: number;
  /** Hash of the last batch record (32 zero bytes before the first seal). */
  readonly batchHash: Uint8Array;
}

export interface ServiceLogStats {
  /** Retained entries (pruned ones excluded). */
  readonly entries: number;
  readonly batches: number;
  /** Oldest retained seq, or null when no entry is retained. */
  readonly firstSeq: number | null;
  readonly lastSeq: number;
  readonly sealedThrough: number;
  readonly unsealed: number;
  /** Appends, and writes staged with them, waiting for the next group commit. */
  readonly pending: number;
  /** Database file plus WAL. */
  readonly bytesOnDisk: number;
}

export class ServiceLog {
  readonly #db: Database.Database;
  readonly #writer: LogWriter;
  readonly #group: GroupCommit;
  readonly #path: string;
  readonly #ownsDb: boolean;
  #state: ChainState;
  #retainedFrom: number;
  #closed = false;

  private constructor(db: Database.Database, options: ServiceLogOptions, batchSize: number, meta: LogMeta) {
    this.#db = db;
    this.#writer = { db, sql: logStatements(db), batchSize, now: options.now ?? Date.now };
    this.#group = new GroupCommit((encoded, sealAll, alongside) => this.#write(encoded, sealAll, alongside));
    this.#path = options.path;
    this.#ownsDb = options.db === undefined;
    this.#retainedFrom = meta.retainedFrom;
    this.#state = loadChainState(this.#writer.sql, meta.retainedFrom);
    // Rows and meta commit together, so a difference means rows were lost or added outside the log.
    checkOwnTail(this.#writer.sql, this.#state);
  }

  /** Opens (or creates) a log; the unsealed tail of an earlier run is continued, and sealed if it is already full. */
  static open(options: ServiceLogOptions): ServiceLog {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new RangeError(`batchSize must be an integer in 1..${MAX_BATCH_SIZE}`);
    }
    const db = options.db ?? new Database(options.path);
    try {
      if (options.db === undefined) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      }
      const log = new ServiceLog(db, options, batchSize, ensureSchema(db));
      // A smaller batchSize than the last run's can leave a full tail: seal it before anything else.
      if (log.#state.tailHashes.length >= batchSize) log.#write([], false, []);
      return log;
    } catch (error) {
      if (options.db === undefined) db.close();
      throw error;
    }
  }

  /** Appends one entry durably; returns after its transaction is on disk. */
  append(entry: ServiceLogEntryInput): AppendResult {
    this.#assertOpen();
    const results = this.#group.writeWith([encodeEntryTemplate(entry)], false).appended;
    return results[0] as AppendResult;
  }

  /** Appends entries in one transaction (one sync); all or none are written. */
  appendMany(entries: readonly ServiceLogEntryInput[]): AppendResult[] {
    this.#assertOpen();
    const encoded = entries.map(encodeEntryTemplate);
    return this.#group.writeWith(encoded, false).appended;
  }

  /**
   * Appends with group commit: every appendAsync of the current event-loop turn goes into one transaction,
   * written on the next turn; each promise resolves after that transaction is durable. An invalid entry
   * rejects at once without touching the group. `alongside` (a write of other tables on a shared connection)
   * runs inside the transaction that writes the entry, before it — whichever write takes the group (the next
   * turn's, seal, flush, close) — so the entry is never on disk without it; should it throw, the transaction and
   * every promise of the group fail.
   */
  appendAsync(entry: ServiceLogEntryInput, alongside?: () => void): Promise<AppendResult> {
    let encoded: Uint8Array;
    try {
      this.#assertOpen();
      encoded = encodeEntryTemplate(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#group.enqueue(encoded, alongside);
  }

  /**
   * Runs `write` (other tables on a shared connection) inside the next group commit's transaction, with the
   * entries of this turn; resolves once that transaction is durable. Should it throw, the transaction and every
   * promise of the group fail.
   */
  stage(write: () => void): Promise<void> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#group.stage(write);
  }

  /** Writes the waiting appendAsync entries now (they would otherwise go on the next turn). */
  flush(): void {
    this.#assertOpen();
    this.#group.flush();
  }

  /** Seals the unsealed tail (after writing any waiting appends) into a batch; undefined when nothing is unsealed. */
  seal(): BatchRecord | undefined {
    this.#assertOpen();
    if (this.#group.pending === 0 && this.#state.tailHashes.length === 0) return undefined;
    return this.#group.writeWith([], true).sealed.at(-1);
  }

  /** The audit proof of one sealed entry. */
  prove(seq: number): LogProof {
    this.#assertOpen();
    this.#checkSeq(seq);
    if (seq > this.#state.sealedThrough) {
      throw new ServiceLogError(
        'UNSEALED',
        `service log: entry ${seq} is not sealed yet (sealed through ${this.#state.sealedThrough})`,
      );
    }
    return proveSealedEntry(this.#writer.sql, seq);
  }

  getEntry(seq: number): ServiceLogEntry {
    this.#assertOpen();
    this.#checkSeq(seq);
    return decodeStoredEntry(storedEntryRow(this.#writer.sql, seq).data, seq);
  }

  getBatch(index: number): BatchRecord {
    this.#assertOpen();
    if (!Number.isSafeInteger(index) || index < 1 || index > this.#state.batchIndex) {
      throw new ServiceLogError('NOT_FOUND', `service log: no batch ${index} (batches 1..${this.#state.batchIndex})`);
    }
    return storedBatch(this.#writer.sql, index);
  }

  /**
   * Retention: deletes the entries of the oldest sealed batches lying wholly before the limit (lastSeq <
   * beforeSeq, or lastTime < beforeTime). Batch records stay, so the record chain and the chain hash at the
   * cut remain; the unsealed tail is never pruned.
   */
  prune(limit: PruneLimit): PruneResult {
    this.#assertOpen();
    const result = pruneLog(this.#db, this.#writer.sql, this.#retainedFrom, limit);
    this.#retainedFrom = result.retainedFrom;
    return result;
  }

  /** Full integrity check of the stored rows (see service-log-verify.ts); reports, never throws on bad rows. */
  verify(options: LogVerifyOptions = {}): LogVerifyReport {
    this.#assertOpen();
    return verifyServiceLogDatabase(this.#db, options);
  }

  tail(): LogTail {
    this.#assertOpen();
    const s = this.#state;
    return {
      seq: s.lastSeq,
      hash: s.lastHash,
      time: s.lastTime,
      sealedThrough: s.sealedThrough,
      batchIndex: s.batchIndex,
      batchHash: s.batchHash,
    };
  }

  stats(): ServiceLogStats {
    this.#assertOpen();
    const s = this.#state;
    const entries = Math.max(0, s.lastSeq - this.#retainedFrom + 1);
    return {
      entries,
      batches: s.batchIndex,
      firstSeq: entries > 0 ? this.#retainedFrom : null,
      lastSeq: s.lastSeq,
      sealedThrough: s.sealedThrough,
      unsealed: s.tailHashes.length,
      pending: this.#group.pending,
      bytesOnDisk: this.#bytesOnDisk(),
    };
  }

  /** The connection's durability settings, for health checks and tests. */
  durability(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA' } {
    this.#assertOpen();
    const journalMode = String(this.#db.pragma('journal_mode', { simple: true }));
    const level = Number(this.#db.pragma('synchronous', { simple: true }));
    const names = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
    return { journalMode, synchronous: names[level] ?? 'OFF' };
  }

  /** Writes the waiting appends, then closes; later calls fail with CLOSED. Closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#group.flush();
    } catch {
      // The waiting appends' promises carry the error; closing goes on.
    } finally {
      this.#group.cancelTimer();
      this.#closed = true;
      if (this.#ownsDb) this.#db.close();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ServiceLogError('CLOSED', 'service log: closed');
  }


  #checkSeq(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.#state.lastSeq) {
      throw new ServiceLogError('NOT_FOUND', `service log: no entry ${seq} (entries 1..${this.#state.lastSeq})`);
    }
    if (seq < this.#retainedFrom) {
      throw new ServiceLogError('PRUNED', `service log: entry ${seq} was pruned (retained from ${this.#retainedFrom})`);
    }
  }

  /** The in-memory tail moves only after the commit; a failed write leaves it as it was. */
  #write(encoded: readonly Uint8Array[], sealAll: boolean, alongside: readonly (() => void)[]): Written {
    const written = writeLog(this.#writer, this.#state, encoded, sealAll, alongside);
    this.#state = written.state;
    return written;
  }

  #bytesOnDisk(): number {
    if (this.#path === ':memory:' || this.#path === '') {
      const pages = Number(this.#db.pragma('page_count', { simple: true }));
      return pages * Number(this.#db.pragma('page_size', { simple: true }));
    }
    let total = 0;
    for (const file of [this.#path, `${this.#path}-wal`]) {
      try {
        total += statSync(file).size;
      } catch {
        // No WAL file between checkpoints is normal.
      }
    }
    return total;
  }
}
