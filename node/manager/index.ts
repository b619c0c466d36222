/** The public API of node/manager (docs/manager.md). */
export { ManagerError, MANAGER_ERROR_CODES, type ManagerErrorCode } from './errors.ts';
export { BLOCK_COMPACT_METHOD, BLOCK_GET_METHOD, BLOCK_METHOD, BlockPool, type BlockPoolOptions } from './block-pool.ts';
export { type CompactBlock, decodeCompactBlock, encodeCompactBlock, MAX_COMPACT_TXS, rebuildBlock } from './compact-block.ts';
export { Mempool, type MempoolOptions, type PooledTx } from './mempool.ts';
export { decodeHead, getHead, HEAD_METHOD, type Head, submitTx, SUBMIT_METHOD, TX_GOSSIP_METHOD } from './rpc.ts';
export { buildBlock } from './build.ts';
export { ManagerServer, type ManagerServerOptions, type ManagerStats, NOTHING } from './server.ts';
export { ChainStore, ChainStoreError, type ChainHead, type StoredBlock, type StoredTx } from './chain-store.ts';
export { type RoleEntry, getRoles, ROLE_NAMES } from './roles.ts';
export { buildRecoveryBlock, RECOVER_METHOD, sendRecovery } from './recover.ts';
export { BLOCKS_METHOD, fetchBlocks, stateSync } from './sync.ts';
export { fetchSnapshot, serveSnapshots, SNAPSHOT_METHOD } from './snapshot.ts';
export { HEADERS_METHOD, type LightSource, serveLight, STATE_METHOD } from './light-rpc.ts';
export {
  decodeRingSignRequest,
  DEFAULT_RING_SIGN_TIMEOUT_MS,
  encodeRingSignRequest,
  MAX_RING_DOCUMENT_BYTES,
  memoryRecords,
  RING_DOCUMENT_TAGS,
  RING_SIGN_METHOD,
  RingCertifier,
  type RingCertifierOptions,
  type RingSignRefusal,
  type RingSignRequest,
  requestRingShare,
  type SignRecords,
} from './ring-certifier.ts';
