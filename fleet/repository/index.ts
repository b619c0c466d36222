/** fleet/repository: the release store and the image repository's HTTP server (SPEC §10, docs/fleet.md "Controller"). */
export { REPOSITORY_ERROR_CODES, RepositoryError, type RepositoryErrorCode } from './errors.ts';
export { loadOrCreateKey, loadRoleKeys } from './keys.ts';
export { adoptedChain, installRoot, newestRoot, onlinePublicKeys, rootKeysOffline, storedRoots, type RootFolder } from './root-files.ts';
export { IMAGE_ROLES, imageRootFolder, ReleaseStore, type ImageDocument, type ReleaseRecorder, type ReleaseStoreOptions } from './release-store.ts';
export {
  createRepositoryServer,
  parseRange,
  type RepositoryServer,
  type RepositoryServerLogger,
  type RepositoryServerOptions,
} from './repository-server.ts';
export { intervalScheduler, type Scheduler } from './schedule.ts';
export {
  createTimestampRefresher,
  type RefresherLogger,
  type TimestampRefresher,
  type TimestampRefresherOptions,
} from './timestamp-refresher.ts';
