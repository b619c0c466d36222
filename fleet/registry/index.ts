/** fleet/registry: the fleet controller's SQLite registry (SPEC §10, docs/fleet.md "Registry"). */
export { REGISTRY_ERROR_CODES, RegistryError, type RegistryErrorCode } from './errors.ts';
export { MIGRATIONS, REGISTRY_FORMAT } from './schema.ts';
export { Registry, type RegistryOptions } from './registry.ts';
export { DeviceTable, type DeviceEnrolment, type DeviceKeyRegistry, type DeviceReport } from './devices.ts';
export { DeviceQueries, type DeviceFilter, type DevicePage, type DeviceRecord, type DeviceSummary } from './device-query.ts';
export { ReleaseTable, type NewRelease, type Release } from './releases.ts';
export { RolloutTable, type NewRollout, type RolloutRecord } from './rollouts.ts';
export { LockTable, type UpdateLock } from './locks.ts';
export { ADMIN_ROLES, AdminTable, type Admin, type AdminRole, type IssuedToken, type TokenGrant } from './admins.ts';
export { DEFAULT_PASSWORD_COST } from './passwords.ts';
export { AuditLog, type AuditEntry, type AuditPage, type AuditQuery } from './audit.ts';
export {
  DEFAULT_HISTORY_LIMIT,
  DeviceHistory,
  FIGURE_CHECKS,
  FIGURE_NAMES,
  MAX_HISTORY_LIMIT,
  type DeviceSample,
  type HistoryPage,
  type HistoryPolicy,
  type HistoryQuery,
  type HistoryWrite,
  type SampleFigures,
} from './history.ts';
