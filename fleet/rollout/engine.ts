/**
 * The rollout engine: a deterministic state machine over one release and one fleet. It does no I/O and reads no
 * clock: every call takes `now` and returns the actions the controller must carry out (director metadata naming
 * the new release for a device, or the previous one). The same inputs always give the same actions, which is what
 * lets the controller store the snapshot after each call and resume after a restart.
 *
 * A phase starts only when the one before passed (every device judged, enough healthy); failures beyond the
 * phase's budget abort at once, and an abort sends back every device that was ever assigned the new release.
 */
import { RolloutError } from './errors.ts';
import { checkFleet, checkPlan, type FleetDevice, type RolloutPlan } from './plan.ts';
import { progressOf, type RolloutProgress } from './progress.ts';
import { assignPhases, OUTSIDE, rolloutOrder } from './selection.ts';
import {
  parseSnapshot,
  REPORT_STATUSES,
  type AbortCode,
  type DeviceRun,
  type ReportStatus,
  type RolloutSnapshot,
} from './snapshot.ts';

export type RolloutAction =
  | { readonly kind: 'assign'; readonly device: string; readonly release: string }
  | { readonly kind: 'revert'; readonly device: string; readonly release: string };

/** Whether a device holds an active update lock at `now` (the registry's activeLock, usually). */
export type LockCheck = (deviceId: string, now: number) => boolean;

export interface StartRolloutOptions {
  readonly id: string;
  readonly plan: RolloutPlan;
  readonly devices: readonly FleetDevice[];
  readonly locked: LockCheck;
  readonly now: number;
}

const RATE_WINDOW_MS = 60_000;

export class Rollout {
  readonly #s: RolloutSnapshot;
  readonly #locked: LockCheck;
  readonly #byId: Map<string, DeviceRun>;

  private constructor(snapshot: RolloutSnapshot, locked: LockCheck) {
    if (typeof locked !== 'function') throw new RolloutError('BAD_INPUT', 'locked must be a function (deviceId, now) => boolean');
    this.#s = snapshot;
    this.#locked = locked;
    this.#byId = new Map(snapshot.devices.map((d) => [d.id, d]));
  }

  /** A new rollout, running; nothing is assigned before the first call (tick). */
  static start(o: StartRolloutOptions): Rollout {
    if (typeof o.id !== 'string' || o.id.length === 0) throw new RolloutError('BAD_INPUT', 'rollout id is empty');
    checkPlan(o.plan);
    checkFleet(o.devices);
    const now = checkTime(o.now);
    const ordered = rolloutOrder(o.id, o.devices);
    const phaseOf = assignPhases(o.plan.phases, ordered);
    const devices = ordered.map((d, i): DeviceRun => {
      const phase = phaseOf[i] ?? OUTSIDE;
      const status = phase === OUTSIDE ? 'outside' : d.release === o.plan.release ? 'current' : 'pending';
      return { id: d.id, phase, status, stage: null, assignedAt: null, reverted: false, lockedWaiting: false, failure: null };
    });
    const snapshot: RolloutSnapshot = {
      format: 1,
      id: o.id,
      plan: structuredClone(o.plan),
      state: 'running',
      phase: 0,
      devices,
      recentAssigns: [],
      lastNow: now,
      abort: null,
    };
    return new Rollout(snapshot, o.locked);
  }

  /** A rollout from a stored snapshot (JSON.parse of a `snapshot()`); BAD_SNAPSHOT if it is not one. */
  static restore(snapshot: unknown, locked: LockCheck): Rollout {
    return new Rollout(parseSnapshot(snapshot), locked);
  }

  get id(): string {
    return this.#s.id;
  }

  /** Time passes: timeouts, phase changes and new assignments. */
  tick(now: number): RolloutAction[] {
    return this.#step(this.#time(now), []);
  }

  /** A device's report. Reports that no longer matter (after its judgement, or the rollout's end) change nothing. */
  report(deviceId: string, status: ReportStatus, now: number): RolloutAction[] {
    if (!REPORT_STATUSES.includes(status)) {
      throw new RolloutError('BAD_INPUT', `status ${JSON.stringify(status)} is not one of ${REPORT_STATUSES.join(', ')}`);
    }
    const device = this.#byId.get(deviceId);
    if (device === undefined) throw new RolloutError('UNKNOWN_DEVICE', `device ${deviceId} is not in rollout ${this.#s.id}`);
    const t = this.#time(now);
    const actions: RolloutAction[] = [];
    if (this.#s.state === 'aborted' || this.#s.state === 'done') return actions;
    const bad = status === 'failed' || status === 'rolled-back';
    if (device.status === 'in-flight') {
      if (status === 'healthy') device.status = 'healthy';
      else if (bad) this.#fail(device, `reported ${status}`, actions);
      else device.stage = status;
    } else if (bad && device.status === 'healthy' && device.phase === this.#s.phase) {
      // A device judges its health over time; one that rolls back before its phase is over still counts against it.
      this.#fail(device, `reported ${status} after healthy`, actions);
    }
    return this.#step(t, actions);
  }

  pause(now: number): RolloutAction[] {
    const t = this.#time(now);
    if (this.#s.state !== 'running') throw new RolloutError('BAD_STATE', `cannot pause a rollout that is ${this.#s.state}`);
    this.#s.state = 'paused';
    return this.#step(t, []);
  }

  resume(now: number): RolloutAction[] {
    const t = this.#time(now);
    if (this.#s.state !== 'paused') throw new RolloutError('BAD_STATE', `cannot resume a rollout that is ${this.#s.state}`);
    this.#s.state = 'running';
    return this.#step(t, []);
  }

  /** Stops the rollout and reverts every device that was assigned the new release. */
  abort(reason: string, now: number): RolloutAction[] {
    const t = this.#time(now);
    if (this.#s.state !== 'running' && this.#s.state !== 'paused') {
      throw new RolloutError('BAD_STATE', `cannot abort a rollout that is ${this.#s.state}`);
    }
    const actions: RolloutAction[] = [];
    this.#abort('manual', String(reason), t, actions);
    return actions;
  }

  progress(): RolloutProgress {
    return progressOf(this.#s);
  }

  /** The whole state as JSON-safe data (a copy): store it after every call. */
  snapshot(): RolloutSnapshot {
    return structuredClone(this.#s);
  }

  #time(now: number): number {
    const t = Math.max(checkTime(now), this.#s.lastNow);
    this.#s.lastNow = t;
    return t;
  }

  #step(t: number, actions: RolloutAction[]): RolloutAction[] {
    const s = this.#s;
    if (s.state === 'aborted' || s.state === 'done') return actions;
    for (const d of s.devices) {
      if (d.status === 'in-flight' && d.assignedAt !== null && t - d.assignedAt >= s.plan.timeoutMs) {
        this.#fail(d, `no verdict within ${s.plan.timeoutMs} ms (last: ${d.stage ?? 'none'})`, actions);
      }
    }
    const failures = this.#inPhase(s.phase).filter((d) => d.status === 'failed').length;
    if (failures > s.plan.failureBudget) {
      this.#abort('failure-budget', `${failures} failed, budget ${s.plan.failureBudget}`, t, actions);
      return actions;
    }
    while (s.state === 'running') {
      const members = this.#inPhase(s.phase);
      if (members.some((d) => d.status === 'pending' || d.status === 'in-flight')) {
        this.#assign(members, t, actions);
        return actions;
      }
      const healthy = members.filter((d) => d.status === 'healthy' || d.status === 'current').length;
      if (members.length > 0 && healthy / members.length < s.plan.successThreshold) {
        const why = `${healthy} of ${members.length} healthy, below the threshold ${s.plan.successThreshold}`;
        this.#abort('threshold', why, t, actions);
        return actions;
      }
      s.phase++;
      if (s.phase >= s.plan.phases.length) s.state = 'done';
    }
    return actions;
  }

  #assign(members: readonly DeviceRun[], t: number, actions: RolloutAction[]): void {
    const s = this.#s;
    s.recentAssigns = s.recentAssigns.filter((at) => t - at < RATE_WINDOW_MS);
    let slots = s.plan.concurrency - s.devices.filter((d) => d.status === 'in-flight').length;
    for (const d of members) {
      if (slots <= 0 || s.recentAssigns.length >= s.plan.ratePerMinute) return;
      if (d.status !== 'pending') continue;
      d.lockedWaiting = this.#locked(d.id, t);
      if (d.lockedWaiting) continue;
      d.status = 'in-flight';
      d.stage = 'assigned';
      d.assignedAt = t;
      s.recentAssigns.push(t);
      slots--;
      actions.push({ kind: 'assign', device: d.id, release: s.plan.release });
    }
  }

  #fail(d: DeviceRun, why: string, actions: RolloutAction[]): void {
    d.status = 'failed';
    d.failure = why;
    this.#revert(d, actions);
  }

  #revert(d: DeviceRun, actions: RolloutAction[]): void {
    if (d.reverted || d.assignedAt === null) return;
    d.reverted = true;
    actions.push({ kind: 'revert', device: d.id, release: this.#s.plan.previousRelease });
  }

  #abort(code: AbortCode, reason: string, t: number, actions: RolloutAction[]): void {
    const s = this.#s;
    s.state = 'aborted';
    s.abort = { code, phase: s.plan.phases[s.phase]?.name ?? '', reason, at: t };
    for (const d of s.devices) this.#revert(d, actions);
  }

  #inPhase(k: number): DeviceRun[] {
    return this.#s.devices.filter((d) => d.phase === k);
  }
}

function checkTime(now: number): number {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new RolloutError('BAD_INPUT', `time ${String(now)} is not a number of ms`);
  return now;
}
