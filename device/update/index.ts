/** device/update: the device's update agent, its slots, state files and update lock (SPEC §10, docs/device.md "Update agent"). */
export { UpdateAgentError, UPDATE_AGENT_ERROR_CODES, type UpdateAgentErrorCode } from './errors.ts';
export { createUpdateAgent, type UpdateAgent, type UpdateAgentOptions } from './update-agent.ts';
export { type HealthCheck, type HealthVerdict, type Judgement } from './judgement.ts';
export { currentLock, releaseLock, takeLock, type UpdateLock } from './update-lock.ts';
export { runningSlot, updatePaths, type UpdatePaths } from './slots.ts';
export { DIRECTOR_ROOT_FILE, FLEET_ROOT_DIR, IMAGE_ROOT_FILE, readShippedRoots, shippedRootPaths } from './roots.ts';
export {
  INITIAL_STATE,
  type InitialRoots,
  parseUpdateState,
  readUpdateState,
  type SlotTarget,
  type Trial,
  type UpdateState,
} from './update-state.ts';
