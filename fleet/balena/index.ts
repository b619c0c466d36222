/** fleet/balena: the balenaCloud backend of the fleet controller, over balena-sdk (SPEC §10, docs/fleet.md "balenaCloud"). */
export { BALENA_ERROR_CODES, BalenaError, type BalenaErrorCode } from './errors.ts';
export { AGENT_STATUS_TAG, GROUPS_TAG, formatAgentStatus, isCommit, parseAgentStatus, parseGroups, type AgentStatus } from './agent-status.ts';
export {
  createBalenaBackend,
  parseDevice,
  type BalenaBackend,
  type BalenaBackendOptions,
  type BalenaDeviceStatus,
  type BalenaSdkPort,
  type FleetTarget,
} from './backend.ts';
export {
  createBalenaRolloutDriver,
  verdictOf,
  type BalenaDriverLogger,
  type BalenaRolloutDriver,
  type BalenaRolloutDriverOptions,
} from './rollout-driver.ts';
