/**
 * The engine's one kind of write transaction: stamp, chain and insert entries, seal every full batch (and, on
 * request, the partial rest), and move the meta tail, all in one commit. It works on a copy of the chain tail
 * and hands the new one back only after the commit, so a failed transaction leaves the engine where it was.
 */
import type Database from 'better-sqlite3';
import { type BatchRecord, batchHashOfEncoding, encodeBatchRecord } from './service-log-batch.ts';
import { entryChainHash, stampEntry } from './service-log-entry.ts';
import { merkleRoot } from './service-log-merkle.ts';
import type { LogStatements } from './service-log-rows.ts';
import { META_KEYS } from './service-log-schema.ts';
import { type ChainState, checkOwnTail } from './service-log-tail.ts';

export interface AppendResult {
  readonly seq: number;
  readonly time: number;
  /** The chain hash h_seq. */
  readonly hash: Uint8Array;
}

export interface LogWriter {
  readonly db: Database.Database;
  readonly sql: LogStatements;
  /** Entries per sealed batch. */
  readonly batchSize: number;
  /** Wall clock in ms since the Unix epoch. */
  readonly now: () => number;
}

export interface Written {
  /** The chain tail after the commit. */
  readonly state: ChainState;
  readonly appended: AppendResult[];
  readonly sealed: BatchRecord[];
}

/**
 * Appends `encoded` (templates from encodeEntryTemplate, stamped here) after `before` and seals in one
 * transaction, after running `alongside` (writes of other tables in the same file) in it. `before` is left as it
 * was, also on failure: pushes onto its tail arrays are undone, and sealing replaces the arrays rather than
 * splicing them.
 */
export function writeLog(
  writer: LogWriter,
  before: ChainState,
  encoded: readonly Uint8Array[],
  sealAll: boolean,
  alongside: readonly (() => void)[] = [],
): Written {
  const { db, sql, batchSize } = writer;
  const savedLength = before.tailHashes.length;
  const state: ChainState = { ...before };
  const appended: AppendResult[] = [];
  const sealed: BatchRecord[] = [];
  try {
    db.transaction(() => {
      checkOwnTail(sql, state);
      for (const write of alongside) write();
      const now = writer.now();
      if (!Number.isFinite(now) || now < 0) throw new RangeError(`the clock gave ${now}`);
      // Never decreasing, so time order is seq order and prune by time cuts a prefix.
      const time = Math.max(Math.floor(now), state.lastTime);
      for (const bytes of encoded) {
        const seq = state.lastSeq + 1;
        stampEntry(bytes, seq, time);
        const hash = entryChainHash(state.lastHash, bytes);
        sql.insertEntry.run(seq, bytes, hash);
        state.lastSeq = seq;
        state.lastHash = hash;
        state.lastTime = time;
        state.tailHashes.push(hash);
        state.tailTimes.push(time);
        appended.push({ seq, time, hash });
        if (state.tailHashes.length === batchSize) sealed.push(sealPrefix(sql, state, batchSize));
      }
      while (state.tailHashes.length >= batchSize) sealed.push(sealPrefix(sql, state, batchSize));
      if (sealAll && state.tailHashes.length > 0) sealed.push(sealPrefix(sql, state, state.tailHashes.length));
      if (state.lastSeq !== before.lastSeq) sql.setMeta.run(state.lastSeq, META_KEYS.lastSeq);
      if (state.batchIndex !== before.batchIndex) sql.setMeta.run(state.batchIndex, META_KEYS.lastBatch);
    }).immediate();
  } catch (error) {
    before.tailHashes.length = savedLength;
    before.tailTimes.length = savedLength;
    throw error;
  }
  return { state, appended, sealed };
}

/** Seals the first `count` unsealed entries into the next batch (inside the caller's transaction). */
function sealPrefix(sql: LogStatements, state: ChainState, count: number): BatchRecord {
  const hashes = state.tailHashes.slice(0, count);
  const record: BatchRecord = {
    index: state.batchIndex + 1,
    firstSeq: state.sealedThrough + 1,
    lastSeq: state.sealedThrough + count,
    firstTime: state.tailTimes[0] as number,
    lastTime: state.tailTimes[count - 1] as number,
    root: merkleRoot(hashes),
    chainHash: hashes[count - 1] as Uint8Array,
    prevBatchHash: state.batchHash,
  };
  const encoded = encodeBatchRecord(record);
  const hash = batchHashOfEncoding(encoded);
  sql.insertBatch.run(record.index, record.lastSeq, encoded, hash);
  state.batchIndex = record.index;
  state.batchHash = hash;
  state.sealedThrough = record.lastSeq;
  // New arrays rather than splice: the pre-transaction state still holds the old ones for a rollback.
  state.tailHashes = state.tailHashes.slice(count);
  state.tailTimes = state.tailTimes.slice(count);
  return record;
}
