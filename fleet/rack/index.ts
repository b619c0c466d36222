/** fleet/rack: provisioning (a new chain, or joining an existing rack's ring), health, stop/start and rolling upgrades of a Manager Ring Unity on six hosts (SPEC §10). */
export { RACK_ERROR_CODES, RackError, type RackErrorCode } from './errors.ts';
export type { HostExecutor, RackHost, RackSignal } from './executor.ts';
export { createLocalExecutor } from './local-executor.ts';
export { createSshExecutor, shellQuote, type SshExecutorOptions } from './ssh-executor.ts';
export { DEFAULT_HTTP_PORT, DEFAULT_P2P_PORT, DEFAULT_ROOT, layoutRack, parseHosts, RACK_SIZE, type HostLayout, type RackPlan } from './plan.ts';
export { holderOf, quorumOf, rackStatus, type Fetch, type RackStatus, type RoleRow, type ServerHealth } from './health.ts';
export { isJoinSecrets, probeWalletOf, readRecord, RACK_FILE, type JoinRecord, type JoinSecrets, type JoinStep, type RackRecord, type RackSecrets, type ServerRecord } from './record.ts';
export { checkHostsApart, joinSteps, readJoinSource, type JoinSource } from './join-plan.ts';
export { JOIN_PROBE_FUNDS, joinRack, type JoinOptions } from './join.ts';
export { provisionRack, rackLayout, startRack, stopRack, waitForRack, RACK_SUPPLY, type ProvisionOptions, type RackDeps } from './provision.ts';
export { MAX_LAG, upgradeRack, type UpgradeOptions } from './upgrade.ts';
