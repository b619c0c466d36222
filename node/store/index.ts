/** The public API of node/store. Other layers import from here, not from the individual modules. */
export type { Write } from './batch.ts';
export { Branch } from './branch.ts';
export { type ConflictDetail, STORE_ERROR_CODES, StoreError, type StoreErrorCode } from './errors.ts';
export { storeFiles } from './files.ts';
export type { GcOptions, GcResult } from './gc.ts';
export type { Entry, ReadView } from './line-view.ts';
export { KEY_LENGTH } from './nibble-path.ts';
export {
  decodeProof,
  encodeProof,
  type Proof,
  type ProofLeaf,
  type ProofLevel,
  type ProofResult,
  verifyProof,
} from './proof.ts';
export type { Durability } from './sqlite-engine.ts';
export type { StoreStats } from './stats.ts';
export { DEFAULT_CACHE_NODES, DEFAULT_MAX_VALUE_SIZE, type StoreLogger, type StoreOptions } from './store-core.ts';
export { openStore, Store } from './store.ts';
export type { VerifyProblem, VerifyReport, VerifyTable } from './verify.ts';
// The service log (built alongside; see docs/store.md "Service log").
export * from './service-log.ts';
export { type BatchRecord, batchRecordHash, decodeBatchRecord, encodeBatchRecord } from './service-log-batch.ts';
export { decodeLogProof, encodeLogProof, type LogProof, verifyLogProof } from './service-log-proof.ts';
export { ServiceLogError, type ServiceLogErrorCode } from './service-log-errors.ts';
export type { ServiceLogEntry } from './service-log-entry.ts';
