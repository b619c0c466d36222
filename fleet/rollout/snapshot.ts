/**
 * The engine's whole state as plain JSON, so the controller can store it (the registry's rollouts table) after
 * every call and a restarted controller continues where it stopped. A stored snapshot is read back through
 * `parseSnapshot`, which refuses anything this build did not write rather than running a rollout on a guess.
 */
import { RolloutError } from './errors.ts';
import { checkPlan, type RolloutPlan } from './plan.ts';

export type RolloutState = 'running' | 'paused' | 'aborted' | 'done';

/** What a device reports about its update. */
export type ReportStatus = 'downloading' | 'installed' | 'healthy' | 'failed' | 'rolled-back';
export const REPORT_STATUSES: readonly ReportStatus[] = ['downloading', 'installed', 'healthy', 'failed', 'rolled-back'];

/**
 * pending: not assigned yet; in-flight: assigned, not yet judged; healthy / failed: judged; current: already ran
 * the release when the rollout started (counts as healthy, is never assigned nor reverted); outside: in no phase.
 */
export type DeviceStatus = 'pending' | 'in-flight' | 'healthy' | 'failed' | 'current' | 'outside';
const DEVICE_STATUSES: readonly DeviceStatus[] = ['pending', 'in-flight', 'healthy', 'failed', 'current', 'outside'];

export interface DeviceRun {
  readonly id: string;
  /** Index into plan.phases, or -1 (outside). */
  readonly phase: number;
  status: DeviceStatus;
  /** The device's last report while in flight ('assigned' until it sends one). */
  stage: ReportStatus | 'assigned' | null;
  assignedAt: number | null;
  reverted: boolean;
  /** The last lock check found it locked; cleared by the next check that does not. */
  lockedWaiting: boolean;
  failure: string | null;
}

export type AbortCode = 'failure-budget' | 'threshold' | 'manual';
const ABORT_CODES: readonly AbortCode[] = ['failure-budget', 'threshold', 'manual'];

export interface AbortInfo {
  readonly code: AbortCode;
  /** The phase that was active, by name. */
  readonly phase: string;
  readonly reason: string;
  readonly at: number;
}

export interface RolloutSnapshot {
  readonly format: 1;
  readonly id: string;
  readonly plan: RolloutPlan;
  state: RolloutState;
  /** Index of the active phase; plan.phases.length once done. */
  phase: number;
  /** In rollout order (selection.ts). */
  readonly devices: DeviceRun[];
  /** Assignment times still inside the rate window. */
  recentAssigns: number[];
  /** The latest time the engine was given; time never runs backwards inside the engine. */
  lastNow: number;
  abort: AbortInfo | null;
}

const STATES: readonly RolloutState[] = ['running', 'paused', 'aborted', 'done'];
const STAGES: readonly (ReportStatus | 'assigned')[] = ['assigned', ...REPORT_STATUSES];

type Json = Record<string, unknown>;

function fail(what: string): never {
  throw new RolloutError('BAD_SNAPSHOT', `rollout snapshot: ${what}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTimeOrNull = (v: unknown): boolean => v === null || isTime(v);
const oneOf = <T>(list: readonly T[], v: unknown): v is T => list.includes(v as T);

function parseDevice(value: unknown, i: number, phases: number): DeviceRun {
  if (!isObject(value)) fail(`devices[${i}] is not an object`);
  const d = value;
  if (typeof d.id !== 'string' || d.id.length === 0) fail(`devices[${i}].id`);
  if (!Number.isSafeInteger(d.phase) || (d.phase as number) < -1 || (d.phase as number) >= phases) {
    fail(`devices[${i}].phase`);
  }
  if (!oneOf(DEVICE_STATUSES, d.status)) fail(`devices[${i}].status`);
  if (d.stage !== null && !oneOf(STAGES, d.stage)) fail(`devices[${i}].stage`);
  if (!isTimeOrNull(d.assignedAt)) fail(`devices[${i}].assignedAt`);
  if (typeof d.reverted !== 'boolean' || typeof d.lockedWaiting !== 'boolean') fail(`devices[${i}] flags`);
  if (d.failure !== null && typeof d.failure !== 'string') fail(`devices[${i}].failure`);
  const assigned = d.status === 'in-flight' || d.status === 'healthy' || d.status === 'failed';
  if (assigned !== (d.assignedAt !== null)) fail(`devices[${i}] is ${String(d.status)} with assignedAt ${String(d.assignedAt)}`);
  return {
    id: d.id,
    phase: d.phase as number,
    status: d.status,
    stage: d.stage as DeviceRun['stage'],
    assignedAt: d.assignedAt as number | null,
    reverted: d.reverted,
    lockedWaiting: d.lockedWaiting,
    failure: d.failure as string | null,
  };
}

/** Checks a snapshot read back from storage (after JSON.parse); BAD_SNAPSHOT names the first thing wrong. */
export function parseSnapshot(value: unknown): RolloutSnapshot {
  if (!isObject(value)) fail('not an object');
  if (value.format !== 1) fail(`format ${String(value.format)}, this build reads 1`);
  if (typeof value.id !== 'string' || value.id.length === 0) fail('id');
  try {
    checkPlan(value.plan as RolloutPlan);
  } catch (cause) {
    throw new RolloutError('BAD_SNAPSHOT', `rollout snapshot: ${(cause as Error).message}`, { cause });
  }
  const plan = value.plan as RolloutPlan;
  if (!oneOf(STATES, value.state)) fail('state');
  const phase = value.phase;
  if (!Number.isSafeInteger(phase) || (phase as number) < 0 || (phase as number) > plan.phases.length) fail('phase');
  if (!Array.isArray(value.devices)) fail('devices');
  const devices = value.devices.map((d, i) => parseDevice(d, i, plan.phases.length));
  if (new Set(devices.map((d) => d.id)).size !== devices.length) fail('devices repeat an id');
  if (!Array.isArray(value.recentAssigns) || !value.recentAssigns.every(isTime)) fail('recentAssigns');
  if (!isTime(value.lastNow)) fail('lastNow');
  let abort: AbortInfo | null = null;
  if (value.abort !== null) {
    const a = value.abort;
    if (!isObject(a) || !oneOf(ABORT_CODES, a.code) || typeof a.phase !== 'string') fail('abort');
    if (typeof a.reason !== 'string' || !isTime(a.at)) fail('abort');
    abort = { code: a.code, phase: a.phase, reason: a.reason, at: a.at };
  }
  if ((value.state === 'aborted') !== (abort !== null)) fail('abort and state disagree');
  return {
    format: 1,
    id: value.id,
    plan: structuredClone(plan),
    state: value.state,
    phase: phase as number,
    devices,
    recentAssigns: [...(value.recentAssigns as number[])],
    lastNow: value.lastNow,
    abort,
  };
}
