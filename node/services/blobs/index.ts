/** node/services/blobs: content-addressed blob storage with proofs of storage (SPEC §5 values, §6 item 5). */
export { BLOB_ERROR_CODES, BlobError, type BlobErrorCode } from './errors.ts';
export {
  assertBlobSize,
  assertChunkSize,
  chunkCount,
  chunkLength,
  DEFAULT_CHUNK_SIZE,
  isChunkSize,
  MAX_BLOB_SIZE,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  maxBlobSize,
  MIN_CHUNK_SIZE,
  SEGMENT_SIZE,
  segmentCount,
  segmentLength,
  segmentsPerChunk,
} from './format.ts';
export { HASH_LENGTH, LEAF_TAG, merkleNode, merklePath, merkleTop, NODE_TAG, segmentLeaf, topFromPath } from './merkle.ts';
export { ADDRESS_LENGTH, ADDRESS_TAG, addressHex, blobAddress } from './address.ts';
export {
  checkManifest,
  decodeManifest,
  encodeManifest,
  type Manifest,
  MANIFEST_VERSION,
  manifestAddress,
  MAX_MANIFEST_SIZE,
  verifyManifest,
} from './manifest.ts';
export { chunkLeaves, chunkRoot, verifyChunk } from './chunk.ts';
export {
  BlobBuilder,
  buildBlob,
  buildBlobFromStream,
  type BuiltBlob,
  type BuiltBlobWithChunks,
  type BuiltChunk,
} from './build.ts';
export {
  type BlobStore,
  type IntegrityProblem,
  type IntegrityReport,
  LIST_LIMIT,
  type ListOptions,
  MAX_RANGE_BYTES,
  type ServedChunk,
  type StoreUsage,
} from './store.ts';
export { CheckedUpload } from './upload.ts';
export type { BlobBackend } from './backend.ts';
export { LocalBlobStore, type LocalBlobStoreOptions } from './local-store.ts';
export { openSqliteBlobStore, SQLITE_FORMAT_VERSION, SqliteBlobBackend } from './sqlite-backend.ts';
export { MemoryBlobBackend, type MemoryBlobRow, MemoryBlobRows, openMemoryBlobStore } from './memory-backend.ts';
export {
  AUDIT_DIGEST_TAG,
  AUDIT_INDEX_TAG,
  AUDIT_NONCE_LENGTH,
  type AuditChallenge,
  auditIndices,
  type AuditResponse,
  checkAuditChallenge,
  MAX_AUDIT_SEGMENTS,
  newAuditChallenge,
  type SegmentProof,
  segmentDigest,
} from './audit.ts';
export {
  decodeAuditChallenge,
  decodeAuditResponse,
  encodeAuditChallenge,
  encodeAuditResponse,
  MAX_CHALLENGE_SIZE,
  MAX_PATH_LENGTH,
  MAX_RESPONSE_SIZE,
} from './audit-codec.ts';
export { answerAudit, type ChunkReader, proveStorage } from './audit-prove.ts';
export { auditPasses, verifyAudit } from './audit-verify.ts';
export {
  BLOB_PART_SCHEME,
  type BlobPart,
  blobPartsOf,
  CHUNK_KEY_PREFIX,
  checkBlobPart,
  chunkPart,
  chunkPartKey,
  decodeBlobPart,
  encodeBlobPart,
  MAX_BLOB_PART_SIZE,
  MAX_CHUNK_PATH,
  manifestPart,
  manifestPartKey,
  partKey,
  verifyBlobPart,
} from './ring-parts.ts';
