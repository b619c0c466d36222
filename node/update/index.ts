/** node/update: the release format and the TUF/Uptane metadata checks (SPEC §10). */
export { UpdateError, UPDATE_ERROR_CODES, type UpdateErrorCode } from './errors.ts';
export {
  keyIdOf,
  MAX_KEYS,
  MAX_TARGETS,
  NAME_PATTERN,
  REQUIRED_ROLES,
  SPEC_VERSION,
  type DirectorSigned,
  type DirectorTarget,
  type FileMeta,
  type Repository,
  type RoleType,
  type RootSigned,
  type SignedOf,
  type SnapshotSigned,
  type TargetInfo,
  type TargetsSigned,
  type TimestampSigned,
} from './roles.ts';
export {
  checkThreshold,
  decodeDocument,
  MAX_DOCUMENT_SIZE,
  SIGNATURE_DOMAIN,
  signDocument,
  signingMessage,
  type Document,
  type Signature,
} from './metadata.ts';
export { DAY_MS, RootKeeper, type AdoptedRootOptions, type RoleConfigs, type RoleKeyConfig, type RootKeeperOptions } from './root-keeper.ts';
export { checkNextRoot, draftRoot, rootProgress, signRoot, type PublicRole, type RootDraft, type RootProgress } from './root-ceremony.ts';
export {
  DEFAULT_IMAGE_LIFETIMES,
  ImageRepository,
  type ImageLifetimes,
  type ImageVersions,
  type ImageMetadata,
  type ImageRepositoryOptions,
  type ImageRole,
} from './image-repository.ts';
export {
  DEFAULT_DIRECTOR_LIFETIMES,
  Director,
  type DirectorLifetimes,
  type DirectorOptions,
  type DirectorRole,
} from './director.ts';
export {
  initialTrustState,
  parseTrustState,
  serializeTrustState,
  TRUST_STATE_FORMAT,
  trustedRoot,
  type TrustedRoot,
  type TrustedVersions,
  type TrustState,
} from './trust-state.ts';
export { keysRevoked, walkRootChain } from './root-chain.ts';
export {
  verifyUpdate,
  type UpdateMetadata,
  type VerifiedTarget,
  type VerifiedUpdate,
  type VerifyContext,
} from './verifier.ts';
export {
  BUNDLE_FORMAT,
  type BundleManifest,
  bundleTargetName,
  checkBundlePath,
  decodeManifest,
  encodeManifest,
  EXEC_MODE,
  FILE_MODE,
  MANIFEST_PATH,
  type ManifestFile,
} from './bundle-manifest.ts';
export { buildBundle, type BuildBundleOptions, type BuiltBundle } from './bundle-build.ts';
export { type BundleContents, type BundleLimits, DEFAULT_BUNDLE_LIMITS, extractBundle, readBundle } from './bundle-read.ts';
export { MAX_TAR_FILE_SIZE, readTar, type TarFile, type TarReadLimits, writeTar } from './tar.ts';
export { downloadTarget, type DownloadOptions, type DownloadResult, type FetchRange, httpRangeFetcher } from './download.ts';
