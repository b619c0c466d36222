/**
 * Sealed-batch records. A record closes a run of consecutive entries: their Merkle root, the chain hash at the
 * last one, and the hash of the previous record, so records form their own chain that survives retention (the
 * entries go, the records stay).
 *
 * Encoding, format 1, 137 bytes (integers big-endian u64 ≤ 2^53 − 1):
 *
 *   offset  size  field
 *        0     1  format = 1
 *        1     8  index (from 1)
 *        9     8  firstSeq
 *       17     8  lastSeq (≥ firstSeq)
 *       25     8  firstTime (time of the entry at firstSeq)
 *       33     8  lastTime (time of the entry at lastSeq, ≥ firstTime)
 *       41    32  root (Merkle root over the entry hashes firstSeq..lastSeq)
 *       73    32  chainHash (h_lastSeq)
 *      105    32  prevBatchHash (hash of record index − 1; 32 zero bytes for index 1)
 *
 * Record hash = SHA-256('AME-LOG-BATCH-v1' ‖ 0x00 ‖ encoding).
 */
import { ByteReader, HASH_LENGTH, hashParts, isBytes, isUint, writeU64, ZERO_HASH } from './service-log-codec.ts';
import { ServiceLogError } from './service-log-errors.ts';

export const BATCH_FORMAT = 1;
export const BATCH_RECORD_LENGTH = 137;
export const BATCH_TAG = 'AME-LOG-BATCH-v1';
const BATCH_PREFIX = new Uint8Array([...new TextEncoder().encode(BATCH_TAG), 0]);
/** prevBatchHash of the first batch. */
export const GENESIS_BATCH_HASH: Uint8Array = ZERO_HASH;

export interface BatchRecord {
  readonly index: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly root: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly prevBatchHash: Uint8Array;
}

function bad(rule: string): never {
  throw new ServiceLogError('BAD_ENTRY', `batch record: ${rule}`);
}

export function encodeBatchRecord(record: BatchRecord): Uint8Array {
  if (typeof record !== 'object' || record === null) bad('must be an object');
  const { index, firstSeq, lastSeq, firstTime, lastTime } = record;
  if (!isUint(index) || index < 1) bad('index must be a safe integer ≥ 1');
  if (!isUint(firstSeq) || firstSeq < 1) bad('firstSeq must be a safe integer ≥ 1');
  if (!isUint(lastSeq) || lastSeq < firstSeq) bad('lastSeq must be a safe integer ≥ firstSeq');
  if (!isUint(firstTime)) bad('firstTime must be a non-negative safe integer');
  if (!isUint(lastTime) || lastTime < firstTime) bad('lastTime must be a safe integer ≥ firstTime');
  for (const field of ['root', 'chainHash', 'prevBatchHash'] as const) {
    if (!isBytes(record[field], HASH_LENGTH, HASH_LENGTH)) bad(`${field} must be ${HASH_LENGTH} bytes`);
  }
  const out = new Uint8Array(BATCH_RECORD_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = BATCH_FORMAT;
  writeU64(view, 1, index);
  writeU64(view, 9, firstSeq);
  writeU64(view, 17, lastSeq);
  writeU64(view, 25, firstTime);
  writeU64(view, 33, lastTime);
  out.set(record.root, 41);
  out.set(record.chainHash, 73);
  out.set(record.prevBatchHash, 105);
  return out;
}

/** Reads one record from `reader` (shared with the proof decoder, which embeds a record). */
export function readBatchRecord(reader: ByteReader): BatchRecord {
  const format = reader.u8('batch format');
  if (format !== BATCH_FORMAT) reader.fail(`unknown batch format ${format}`);
  const index = reader.u64('batch index');
  const firstSeq = reader.u64('firstSeq');
  const lastSeq = reader.u64('lastSeq');
  const firstTime = reader.u64('firstTime');
  const lastTime = reader.u64('lastTime');
  if (index < 1) reader.fail('batch index must be ≥ 1');
  if (firstSeq < 1 || lastSeq < firstSeq) reader.fail('batch seq range must satisfy 1 ≤ firstSeq ≤ lastSeq');
  if (lastTime < firstTime) reader.fail('batch lastTime is before firstTime');
  const root = reader.fixed(HASH_LENGTH, 'root');
  const chainHash = reader.fixed(HASH_LENGTH, 'chainHash');
  const prevBatchHash = reader.fixed(HASH_LENGTH, 'prevBatchHash');
  return { index, firstSeq, lastSeq, firstTime, lastTime, root, chainHash, prevBatchHash };
}

export function decodeBatchRecord(bytes: Uint8Array): BatchRecord {
  const reader = new ByteReader(bytes, 'BAD_ENTRY', 'batch record');
  const record = readBatchRecord(reader);
  reader.end();
  return record;
}

/** Hash of an encoded record (what the next record's prevBatchHash holds). */
export function batchHashOfEncoding(encodedRecord: Uint8Array): Uint8Array {
  return hashParts(BATCH_PREFIX, encodedRecord);
}

export function batchRecordHash(record: BatchRecord): Uint8Array {
  return batchHashOfEncoding(encodeBatchRecord(record));
}
