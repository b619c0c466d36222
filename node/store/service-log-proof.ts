/**
 * Audit proofs (SPEC §6 item 5): an entry, the chain hash before it, its batch record and its Merkle path.
 * A manager checks a sampled entry with verifyLogProof against what it already trusts: the batch record (or a
 * record whose hash it trusts, via batchRecordHash), or only the batch root.
 *
 * Encoding, format 1:
 *   u8 format = 1 ‖ u16 entry length ‖ entry ‖ entryHash (32) ‖ prevChainHash (32) ‖ batch record (137)
 *   ‖ u8 path length (≤ 64) ‖ path hashes (32 each)
 * The decoder checks structure only; verifyLogProof decides whether a well-formed proof holds.
 */
import { bytesEqual } from '../crypto/index.ts';
import { type BatchRecord, encodeBatchRecord, readBatchRecord } from './service-log-batch.ts';
import { ByteReader, HASH_LENGTH, isBytes } from './service-log-codec.ts';
import {
  decodeEntry,
  encodeEntry,
  entryChainHash,
  MAX_ENTRY_LENGTH,
  type ServiceLogEntry,
} from './service-log-entry.ts';
import { ServiceLogError } from './service-log-errors.ts';
import { merkleRootFromPath } from './service-log-merkle.ts';

export const PROOF_FORMAT = 1;
/** Enough for any leaf count below 2^64. */
export const MAX_PATH_LENGTH = 64;

export interface LogProof {
  readonly entry: ServiceLogEntry;
  /** h_seq, the chain hash at the entry. */
  readonly entryHash: Uint8Array;
  /** h_{seq−1}; for the first entry of a batch it equals the previous batch record's chainHash. */
  readonly prevChainHash: Uint8Array;
  readonly batch: BatchRecord;
  /** Sibling hashes from the leaf up (see service-log-merkle.ts). */
  readonly path: readonly Uint8Array[];
}

function bad(rule: string): never {
  throw new ServiceLogError('BAD_PROOF', `log proof: ${rule}`);
}

export function encodeLogProof(proof: LogProof): Uint8Array {
  if (typeof proof !== 'object' || proof === null) bad('must be an object');
  const entry = encodeEntry(proof.entry);
  const batch = encodeBatchRecord(proof.batch);
  if (!isBytes(proof.entryHash, HASH_LENGTH, HASH_LENGTH)) bad(`entryHash must be ${HASH_LENGTH} bytes`);
  if (!isBytes(proof.prevChainHash, HASH_LENGTH, HASH_LENGTH)) bad(`prevChainHash must be ${HASH_LENGTH} bytes`);
  if (!Array.isArray(proof.path) || proof.path.length > MAX_PATH_LENGTH) {
    bad(`path must hold at most ${MAX_PATH_LENGTH} hashes`);
  }
  const out = new Uint8Array(
    1 + 2 + entry.length + 2 * HASH_LENGTH + batch.length + 1 + proof.path.length * HASH_LENGTH,
  );
  out[0] = PROOF_FORMAT;
  new DataView(out.buffer).setUint16(1, entry.length);
  let at = 3;
  for (const part of [entry, proof.entryHash, proof.prevChainHash, batch]) {
    out.set(part, at);
    at += part.length;
  }
  out[at++] = proof.path.length;
  for (const sibling of proof.path) {
    if (!isBytes(sibling, HASH_LENGTH, HASH_LENGTH)) bad(`every path element must be ${HASH_LENGTH} bytes`);
    out.set(sibling, at);
    at += HASH_LENGTH;
  }
  return out;
}

export function decodeLogProof(bytes: Uint8Array): LogProof {
  const reader = new ByteReader(bytes, 'BAD_PROOF', 'log proof');
  const format = reader.u8('format');
  if (format !== PROOF_FORMAT) reader.fail(`unknown format ${format}`);
  const entryLength = reader.u16('entry length');
  if (entryLength > MAX_ENTRY_LENGTH) reader.fail(`entry length ${entryLength} is over ${MAX_ENTRY_LENGTH}`);
  let entry: ServiceLogEntry;
  try {
    entry = decodeEntry(reader.fixed(entryLength, 'entry'));
  } catch (error) {
    if (error instanceof ServiceLogError && error.code === 'BAD_ENTRY') bad(error.message);
    throw error;
  }
  const entryHash = reader.fixed(HASH_LENGTH, 'entryHash');
  const prevChainHash = reader.fixed(HASH_LENGTH, 'prevChainHash');
  const batch = readBatchRecord(reader);
  const pathLength = reader.u8('path length');
  if (pathLength > MAX_PATH_LENGTH) reader.fail(`path length ${pathLength} is over ${MAX_PATH_LENGTH}`);
  const path: Uint8Array[] = [];
  for (let i = 0; i < pathLength; i += 1) path.push(reader.fixed(HASH_LENGTH, 'path'));
  reader.end();
  return { entry, entryHash, prevChainHash, batch, path };
}

function sameRecord(a: BatchRecord, b: BatchRecord): boolean {
  return bytesEqual(encodeBatchRecord(a), encodeBatchRecord(b));
}

/**
 * True when the proof shows its entry at its seq inside the anchored batch: the entry hashes to entryHash from
 * prevChainHash, its Merkle path leads to the batch root, its seq and time fall inside the batch, and the last
 * entry of a batch carries the batch's chainHash.
 *
 * Anchor: a BatchRecord authenticates every byte of the proof. A bare 32-byte root authenticates the entry,
 * its hashes, its position and the batch's seq range, but not the record's index, times, chainHash or
 * prevBatchHash (the root does not cover them); use the record when those matter.
 *
 * Never throws: a malformed proof or anchor is simply false.
 */
export function verifyLogProof(anchor: Uint8Array | BatchRecord, proof: LogProof): boolean {
  try {
    const { batch, entry } = proof;
    if (anchor instanceof Uint8Array) {
      if (anchor.length !== HASH_LENGTH || !bytesEqual(anchor, batch.root)) return false;
    } else if (!sameRecord(anchor, batch)) {
      return false;
    }
    encodeBatchRecord(batch); // field rules (firstSeq ≤ lastSeq, hash lengths) before using them
    if (entry.seq < batch.firstSeq || entry.seq > batch.lastSeq) return false;
    if (entry.time < batch.firstTime || entry.time > batch.lastTime) return false;
    if (!isBytes(proof.entryHash, HASH_LENGTH, HASH_LENGTH)) return false;
    if (!isBytes(proof.prevChainHash, HASH_LENGTH, HASH_LENGTH)) return false;
    if (!bytesEqual(entryChainHash(proof.prevChainHash, encodeEntry(entry)), proof.entryHash)) return false;
    if (entry.seq === batch.lastSeq && !bytesEqual(proof.entryHash, batch.chainHash)) return false;
    if (!Array.isArray(proof.path) || proof.path.length > MAX_PATH_LENGTH) return false;
    if (!proof.path.every((sibling) => isBytes(sibling, HASH_LENGTH, HASH_LENGTH))) return false;
    const count = batch.lastSeq - batch.firstSeq + 1;
    const root = merkleRootFromPath(proof.entryHash, entry.seq - batch.firstSeq, count, proof.path);
    return root !== undefined && bytesEqual(root, batch.root);
  } catch {
    return false;
  }
}
