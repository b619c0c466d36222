/** fleet/rack: provisioning, health, stop/start and rolling upgrades of a Manager Ring Unity on six hosts (SPEC §10). */
export { RACK_ERROR_CODES, RackError, type RackErrorCode } from './errors.ts';
export type { HostExecutor, RackHost, RackSignal } from './executor.ts';
export { createLocalExecutor } from './local-executor.ts';
export { createSshExecutor, shellQuote, type SshExecutorOptions } from './ssh-executor.ts';
export { DEFAULT_HTTP_PORT, DEFAULT_P2P_PORT, DEFAULT_ROOT, layoutRack, parseHosts, RACK_SIZE, type HostLayout, type RackPlan } from './plan.ts';
export { holderOf, quorumOf, rackStatus, type Fetch, type RackStatus, type RoleRow, type ServerHealth } from './health.ts';
export { readRecord, RACK_FILE, type RackRecord, type ServerRecord } from './record.ts';
export { provisionRack, rackLayout, startRack, stopRack, waitForRack, RACK_SUPPLY, type ProvisionOptions, type RackDeps } from './provision.ts';
export { MAX_LAG, upgradeRack, type UpgradeOptions } from './upgrade.ts';
