/** fleet/rollout: the rollout engine, a deterministic state machine with no I/O (SPEC §10, docs/fleet.md). */
export { ROLLOUT_ERROR_CODES, RolloutError, type RolloutErrorCode } from './errors.ts';
export { checkFleet, checkPlan, type FleetDevice, type Phase, type RolloutPlan } from './plan.ts';
export { assignPhases, OUTSIDE, rolloutOrder } from './selection.ts';
export {
  parseSnapshot,
  REPORT_STATUSES,
  type AbortCode,
  type AbortInfo,
  type DeviceRun,
  type DeviceStatus,
  type ReportStatus,
  type RolloutSnapshot,
  type RolloutState,
} from './snapshot.ts';
export { progressOf, type PhaseProgress, type PhaseState, type RolloutProgress } from './progress.ts';
export { Rollout, type LockCheck, type RolloutAction, type StartRolloutOptions } from './engine.ts';
