/**
 * A rollout plan and the fleet it runs over, with their checks. Everything a plan says is checked before the
 * engine starts, so the state machine itself never meets a nonsensical limit halfway through a rollout.
 */
import { RolloutError } from './errors.ts';

/** A phase takes a group (the canary), a cumulative share of the fleet, or, with neither, every device left. */
export type Phase =
  | { readonly name: string; readonly group: string }
  | { readonly name: string; readonly percent: number }
  | { readonly name: string };

export interface RolloutPlan {
  /** The release every device should end on (its id: the bundle's sha256 hex). */
  readonly release: string;
  /** The release an abort sends devices back to. */
  readonly previousRelease: string;
  readonly phases: readonly Phase[];
  /** Fraction (0, 1] of a phase's devices that must end healthy for the next phase to start. */
  readonly successThreshold: number;
  /** Failures allowed in one phase; one more aborts the rollout at once. */
  readonly failureBudget: number;
  /** Most devices updating at once. */
  readonly concurrency: number;
  /** Most assignments in any 60 s window. */
  readonly ratePerMinute: number;
  /** A device still updating this long after its assignment counts as failed. */
  readonly timeoutMs: number;
}

/** A device as the rollout sees it when it starts: its groups and the release it runs (if known). */
export interface FleetDevice {
  readonly id: string;
  readonly groups: readonly string[];
  readonly release?: string | undefined;
}

const MAX_NAME = 128;

function bad(field: string, why: string): never {
  throw new RolloutError('BAD_PLAN', `plan.${field} ${why}`);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME;
}

function positiveInteger(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/** Throws BAD_PLAN naming the first field that is wrong. */
export function checkPlan(plan: RolloutPlan): void {
  if (typeof plan !== 'object' || plan === null) throw new RolloutError('BAD_PLAN', 'plan is not an object');
  if (!isName(plan.release)) bad('release', 'must be a release id (1-128 characters)');
  if (!isName(plan.previousRelease)) bad('previousRelease', 'must be a release id (1-128 characters)');
  if (plan.release === plan.previousRelease) bad('previousRelease', 'must differ from plan.release');
  if (!Array.isArray(plan.phases) || plan.phases.length === 0) bad('phases', 'must list at least one phase');
  const names = new Set<string>();
  let lastPercent = 0;
  plan.phases.forEach((phase: Phase, i) => {
    if (typeof phase !== 'object' || phase === null) bad(`phases[${i}]`, 'is not an object');
    if (!isName(phase.name)) bad(`phases[${i}].name`, 'must be 1-128 characters');
    if (names.has(phase.name)) bad(`phases[${i}].name`, `repeats ${JSON.stringify(phase.name)}`);
    names.add(phase.name);
    const hasGroup = 'group' in phase;
    const hasPercent = 'percent' in phase;
    if (hasGroup && hasPercent) bad(`phases[${i}]`, 'names both a group and a percent');
    if (hasGroup && !isName(phase.group)) bad(`phases[${i}].group`, 'must be 1-128 characters');
    if (hasPercent) {
      const p = phase.percent;
      if (typeof p !== 'number' || !(p > 0 && p <= 100)) bad(`phases[${i}].percent`, 'must be in (0, 100]');
      if (p < lastPercent) bad(`phases[${i}].percent`, `is cumulative and must not fall below ${lastPercent}`);
      lastPercent = p;
    }
  });
  const t = plan.successThreshold;
  if (typeof t !== 'number' || !(t > 0 && t <= 1)) bad('successThreshold', 'must be in (0, 1]');
  if (!Number.isSafeInteger(plan.failureBudget) || plan.failureBudget < 0) {
    bad('failureBudget', 'must be an integer ≥ 0');
  }
  if (!positiveInteger(plan.concurrency)) bad('concurrency', 'must be an integer ≥ 1');
  if (!positiveInteger(plan.ratePerMinute)) bad('ratePerMinute', 'must be an integer ≥ 1');
  if (!positiveInteger(plan.timeoutMs)) bad('timeoutMs', 'must be an integer ≥ 1 (ms)');
}

/** Throws BAD_INPUT for a device list with a malformed entry or a repeated id. */
export function checkFleet(devices: readonly FleetDevice[]): void {
  if (!Array.isArray(devices)) throw new RolloutError('BAD_INPUT', 'devices is not an array');
  const seen = new Set<string>();
  devices.forEach((d: FleetDevice, i) => {
    if (typeof d !== 'object' || d === null || !isName(d.id)) {
      throw new RolloutError('BAD_INPUT', `devices[${i}].id must be 1-128 characters`);
    }
    if (seen.has(d.id)) throw new RolloutError('BAD_INPUT', `devices[${i}].id repeats ${d.id}`);
    seen.add(d.id);
    if (!Array.isArray(d.groups) || !d.groups.every(isName)) {
      throw new RolloutError('BAD_INPUT', `devices[${i}].groups must be a list of names`);
    }
    if (d.release !== undefined && !isName(d.release)) {
      throw new RolloutError('BAD_INPUT', `devices[${i}].release must be a release id`);
    }
  });
}
