/** The public API of node/ring. Other layers import from here, not from the individual modules. */
export { RING_ERROR_CODES, RingError, type RingErrorCode } from './errors.ts';
export {
  addToKey,
  assertKey,
  compareKeys,
  inRange,
  isKey,
  KEY_LENGTH,
  KEY_SPACE,
  keyFromBigInt,
  keyFromHex,
  keysEqual,
  keyToBigInt,
  keyToHex,
  midpoint,
  rangeSize,
  ringDistance,
  ZERO_KEY,
  type Key,
} from './keyspace.ts';
export {
  checkUnityIndex,
  DEFAULT_RING_PARAMS,
  MAX_UNITIES,
  unityIdFor,
  unityIndexById,
  unityOfServer,
  unityStartOf,
  validateMap,
  type RingMap,
  type RingParams,
  type ServerEntry,
  type Unity,
} from './map.ts';
export { decodeRingMap, DEFAULT_MAP_MAX_SIZE, encodeRingMap, mapRoot } from './map-codec.ts';
export { genesisMap, type GenesisOptions } from './genesis.ts';
export {
  groupSize,
  interTable,
  intraTable,
  nextHop,
  route,
  routingTableSize,
  unityDistance,
} from './groups.ts';
export { unityOfKey, unityRange } from './locate.ts';
export {
  ownEntry,
  sliceFor,
  sliceIndices,
  sliceRoute,
  sliceSize,
  validateSlice,
  type RoutingSlice,
  type SliceEntry,
  type SliceRoute,
} from './slice.ts';
export { decodeSlice, encodeSlice } from './slice-codec.ts';
export { rankServers, readQuorum, rendezvousWeight, replicaSet, replicasOfKey, writeQuorum } from './replicas.ts';
export {
  checkContentPut,
  contentKey,
  decodeOwnedRecord,
  encodeOwnedRecord,
  MAX_RECORD_NAME_BYTES,
  MAX_VALUE_SIZE,
  ownedKey,
  RECORD_DOMAIN_TAG,
  recordSigningMessage,
  signOwnedRecord,
  supersedes,
  verifyOwnedRecord,
  type OwnedRecord,
  type OwnedRecordFields,
} from './records.ts';
export {
  ALL_LIVE,
  borrow,
  borrowCandidates,
  join,
  leave,
  merge,
  mergePartner,
  release,
  split,
  type Liveness,
} from './transitions.ts';
export {
  applyTransition,
  applyTransitions,
  planMaintenance,
  type MaintenancePolicy,
  type Transition,
} from './maintenance.ts';
export {
  certifyMapUpdate,
  decodeMapUpdate,
  encodeMapUpdate,
  MAP_CERTIFICATE_TAG,
  mapCertificateVerifier,
  managersVerifier,
  ringAuthorityVerifier,
  signMapUpdate,
  type ManagersVerifierOptions,
  type MapCertificate,
  type MapCertificateVerifier,
  type MapUpdate,
  type MapVerifierOptions,
  type RingAuthorityVerifierOptions,
} from './certificate.ts';
export {
  authorityCertify,
  certifiersOf,
  checkEpochCertificate,
  MAX_CERTIFICATE_SIZE,
  signAuthorityCertificate,
  type AuthorityCertificate,
  type Certifiers,
  type CertifiersLike,
  type Certify,
  type EpochCertificate,
  type EpochDocument,
} from './epoch-certificate.ts';
export {
  assembleManagersCertificate,
  checkManagerSet,
  checkManagersCertificate,
  checkManagerShare,
  managerQuorum,
  MAX_MANAGERS,
  signManagerShare,
  type ManagersCertificate,
  type ManagerSignature,
} from './managers.ts';
export {
  BOOTSTRAP_TAG,
  decodeBootstrapList,
  encodeBootstrapList,
  MAX_BOOTSTRAP_MANAGERS,
  signBootstrapList,
  verifyBootstrapList,
  type BootstrapList,
} from './bootstrap.ts';
export {
  checkRingValue,
  decodeRingValue,
  encodeRingValue,
  MAX_RING_VALUE_SIZE,
  MAX_SCHEME_LENGTH,
  peekRingValue,
  type RingValue,
  type ValueChecker,
  type ValueSchemes,
} from './service/value.ts';
