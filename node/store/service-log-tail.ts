/**
 * The chain tail the engine keeps in memory (where the chain ends, and the unsealed entries a seal needs), how a
 * reopen rebuilds it from the rows, and the single-writer check: the meta tail (last_seq / last_batch, committed
 * with the rows) must be the one the engine holds, or another process has written, or rows were lost.
 */
import { bytesEqual } from '../crypto/index.ts';
import { batchHashOfEncoding, GENESIS_BATCH_HASH } from './service-log-batch.ts';
import { plain } from './service-log-codec.ts';
import { entryChainHash, GENESIS_CHAIN_HASH } from './service-log-entry.ts';
import { corrupt, decodeStoredEntry, decodeStoredRecord, type LogStatements } from './service-log-rows.ts';

export interface ChainState {
  lastSeq: number;
  lastHash: Uint8Array;
  lastTime: number;
  batchIndex: number;
  batchHash: Uint8Array;
  sealedThrough: number;
  /** Hashes and times of the unsealed entries, sealedThrough + 1 … lastSeq. */
  tailHashes: Uint8Array[];
  tailTimes: number[];
}

/**
 * Reads the chain tail at open: the last batch record and the unsealed entries after it, recomputing their
 * chain (at most one batch of hashes), so a log whose tail does not hold together refuses to grow.
 */
export function loadChainState(sql: LogStatements, retainedFrom: number): ChainState {
  const lastBatch = sql.lastBatch.get();
  let state: ChainState = {
    lastSeq: 0,
    lastHash: GENESIS_CHAIN_HASH,
    lastTime: 0,
    batchIndex: 0,
    batchHash: GENESIS_BATCH_HASH,
    sealedThrough: 0,
    tailHashes: [],
    tailTimes: [],
  };
  if (lastBatch !== undefined) {
    const record = decodeStoredRecord(lastBatch.record, `batch ${lastBatch.idx}`);
    const batchHash = batchHashOfEncoding(lastBatch.record);
    if (record.index !== lastBatch.idx || !bytesEqual(plain(lastBatch.hash), batchHash)) {
      throw corrupt(`batch ${lastBatch.idx} does not match its index or hash`);
    }
    state = {
      ...state,
      lastSeq: record.lastSeq,
      lastHash: record.chainHash,
      lastTime: record.lastTime,
      batchIndex: record.index,
      batchHash,
      sealedThrough: record.lastSeq,
    };
  }
  if (retainedFrom > state.sealedThrough + 1) {
    throw corrupt(`retained_from ${retainedFrom} is past the sealed batches (through ${state.sealedThrough})`);
  }
  const from = Math.max(retainedFrom, state.sealedThrough);
  for (const row of sql.entriesFrom.iterate(from)) {
    const entry = decodeStoredEntry(row.data, row.seq);
    const hash = plain(row.hash);
    if (row.seq === state.sealedThrough) {
      // The last sealed entry: its stored hash must be the one its batch record sealed.
      if (!bytesEqual(hash, state.lastHash)) {
        throw corrupt(`entry ${row.seq} is not the chain hash batch ${state.batchIndex} sealed`);
      }
      continue;
    }
    if (row.seq !== state.lastSeq + 1) throw corrupt(`entry ${state.lastSeq + 1} is missing`);
    if (!bytesEqual(entryChainHash(state.lastHash, row.data), hash)) throw corrupt(`entry ${row.seq} breaks the chain`);
    if (entry.time < state.lastTime) throw corrupt(`entry ${row.seq} goes back in time`);
    state.lastSeq = row.seq;
    state.lastHash = hash;
    state.lastTime = entry.time;
    state.tailHashes.push(hash);
    state.tailTimes.push(entry.time);
  }
  return state;
}

/** Fails when the database's recorded tail is not `state`'s: another writer, or rows lost outside the log. */
export function checkOwnTail(sql: LogStatements, state: ChainState): void {
  const meta = sql.tailMeta.get();
  if (meta?.seq !== state.lastSeq || meta.idx !== state.batchIndex) {
    throw corrupt(
      `the database records its tail at entry ${String(meta?.seq)} / batch ${String(meta?.idx)}, ` +
        `the rows end at ${state.lastSeq} / ${state.batchIndex}: another writer, or lost rows`,
    );
  }
}
