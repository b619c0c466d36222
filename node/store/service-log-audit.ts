/**
 * Builds the audit proof (service-log-proof.ts) of a sealed, retained entry from the stored rows. It recomputes
 * the batch's Merkle tree from the stored entry hashes (a few ms for a full batch: fine for sampled audits) and
 * checks the result against the batch record before answering: a device must never hand an auditor a proof
 * that fails.
 */
import { bytesEqual } from '../crypto/index.ts';
import type { BatchRecord } from './service-log-batch.ts';
import { plain } from './service-log-codec.ts';
import { entryChainHash, GENESIS_CHAIN_HASH } from './service-log-entry.ts';
import { merklePath } from './service-log-merkle.ts';
import type { LogProof } from './service-log-proof.ts';
import {
  corrupt,
  decodeStoredEntry,
  decodeStoredRecord,
  type LogStatements,
  storedBatch,
  storedEntryRow,
} from './service-log-rows.ts';

/** The proof of entry `seq`, which the caller has checked is sealed and not pruned. */
export function proveSealedEntry(sql: LogStatements, seq: number): LogProof {
  const record = decodeStoredRecord(sql.batchOfSeq.get(seq), `batch of entry ${seq}`);
  if (seq < record.firstSeq) throw corrupt(`no batch holds entry ${seq}`);
  const hashes = sql.hashes.all(record.firstSeq, record.lastSeq).map(plain);
  if (hashes.length !== record.lastSeq - record.firstSeq + 1) {
    throw corrupt(`batch ${record.index} is missing entries`);
  }
  const row = storedEntryRow(sql, seq);
  const entry = decodeStoredEntry(row.data, seq);
  const position = seq - record.firstSeq;
  const prevChainHash = position > 0 ? (hashes[position - 1] as Uint8Array) : chainHashBefore(sql, record);
  const entryHash = hashes[position] as Uint8Array;
  if (!bytesEqual(entryChainHash(prevChainHash, row.data), entryHash)) throw corrupt(`entry ${seq} breaks the chain`);
  const { root, path } = merklePath(hashes, position);
  if (!bytesEqual(root, record.root)) throw corrupt(`batch ${record.index} root does not match its entries`);
  return { entry, entryHash, prevChainHash, batch: record, path };
}

/** h_{firstSeq−1}: the chain hash the previous batch sealed (h_0 before the first batch). */
function chainHashBefore(sql: LogStatements, record: BatchRecord): Uint8Array {
  if (record.index === 1) return GENESIS_CHAIN_HASH;
  return storedBatch(sql, record.index - 1).chainHash;
}
