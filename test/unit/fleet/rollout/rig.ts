/**
 * A driver for the rollout engine's tests: a fleet, a lock table the test changes, and a ledger of every action
 * the engine returned, with the invariants of docs/fleet.md "Rollouts" checked after every call.
 */
import { sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import {
  Rollout,
  type FleetDevice,
  type ReportStatus,
  type RolloutAction,
  type RolloutPlan,
  type RolloutProgress,
} from '../../../../fleet/rollout/index.ts';

export const RELEASE = 'a'.repeat(64);
export const PREVIOUS = 'b'.repeat(64);

export function plan(overrides: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    release: RELEASE,
    previousRelease: PREVIOUS,
    phases: [{ name: 'canary', group: 'canary' }, { name: 'ten', percent: 10 }, { name: 'all' }],
    successThreshold: 0.9,
    failureBudget: 1,
    concurrency: 4,
    ratePerMinute: 1000,
    timeoutMs: 600_000,
    ...overrides,
  };
}

export function fleet(n: number, canary: number): FleetDevice[] {
  return Array.from({ length: n }, (_, i) => ({ id: `dev-${i}`, groups: i < canary ? ['canary'] : [], release: PREVIOUS }));
}

/**
 * The oracle for which phase takes a device, written apart from the engine's own: sets instead of indices, and
 * the rollout order recomputed here.
 */
export function expectedPhases(rolloutId: string, p: RolloutPlan, devices: readonly FleetDevice[]): Map<string, number> {
  const hex = (id: string) => toHex(sha256(utf8(`${rolloutId}\u0000${id}`)));
  const order = [...devices].sort((a, b) => hex(a.id).localeCompare(hex(b.id)));
  const out = new Map<string, number>();
  p.phases.forEach((phase, k) => {
    if ('group' in phase) {
      for (const d of order) if (!out.has(d.id) && d.groups.includes(phase.group)) out.set(d.id, k);
      return;
    }
    const want = 'percent' in phase ? Math.ceil((phase.percent * devices.length) / 100) : devices.length;
    for (const d of order) if (out.size < want && !out.has(d.id)) out.set(d.id, k);
  });
  return out;
}

export class Rig {
  engine: Rollout;
  now = 1_000_000;
  readonly locks = new Map<string, number>(); // device → locked until (exclusive)
  readonly assigned = new Map<string, number>();
  readonly reverted = new Map<string, number>();
  readonly assignTimes: number[] = [];
  readonly phaseOf: Map<string, number>;
  readonly locked = (id: string, now: number): boolean => (this.locks.get(id) ?? -Infinity) > now;

  readonly id: string;
  readonly plan: RolloutPlan;
  readonly devices: readonly FleetDevice[];

  constructor(id: string, plan: RolloutPlan, devices: readonly FleetDevice[]) {
    this.id = id;
    this.plan = plan;
    this.devices = devices;
    this.engine = Rollout.start({ id, plan, devices, locked: this.locked, now: this.now });
    this.phaseOf = expectedPhases(id, plan, devices);
  }

  /** Runs one engine call and checks every invariant against what it returned. */
  call(fn: (engine: Rollout, now: number) => RolloutAction[]): RolloutAction[] {
    const before = this.engine.progress().state;
    const actions = fn(this.engine, this.now);
    const after = this.engine.progress();
    for (const a of actions) {
      if (a.kind === 'assign') this.#checkAssign(a, before, after);
      else this.#checkRevert(a);
    }
    if (after.inFlight > this.plan.concurrency) throw new Error(`${after.inFlight} in flight > ${this.plan.concurrency}`);
    if (after.state === 'aborted') {
      for (const id of this.assigned.keys()) {
        if (this.reverted.get(id) !== 1) throw new Error(`${id} assigned but reverted ${this.reverted.get(id) ?? 0} times`);
      }
    }
    return actions;
  }

  /**
   * Runs one call, then answers every assignment it returned (and every one those answers returned) with the
   * reports `answer` gives for that device, as a controller would. Returns every action, in order.
   */
  run(fn: (engine: Rollout, now: number) => RolloutAction[], answer: (device: string) => readonly ReportStatus[]): RolloutAction[] {
    const queue = [...this.call(fn)];
    const all: RolloutAction[] = [];
    for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
      all.push(a);
      if (a.kind !== 'assign') continue;
      for (const status of answer(a.device)) queue.push(...this.call((e, now) => e.report(a.device, status, now)));
    }
    return all;
  }

  restart(): void {
    this.engine = Rollout.restore(JSON.parse(JSON.stringify(this.engine.snapshot())), this.locked);
  }

  inFlight(): string[] {
    return this.engine.snapshot().devices.filter((d) => d.status === 'in-flight').map((d) => d.id);
  }

  #checkAssign(a: RolloutAction, before: string, after: RolloutProgress): void {
    if (before === 'aborted' || before === 'done') throw new Error(`assign while ${before}`);
    if (after.state === 'paused') throw new Error('assign in a call that left the rollout paused');
    if (a.release !== RELEASE) throw new Error(`assign of ${a.release}`);
    if (this.assigned.has(a.device)) throw new Error(`${a.device} assigned twice`);
    if (this.locked(a.device, this.now)) throw new Error(`${a.device} assigned while locked`);
    const active = after.phases.findIndex((p) => p.state === 'active' || p.state === 'aborted');
    const started = active === -1 ? this.plan.phases.length - 1 : active;
    const phase = this.phaseOf.get(a.device);
    if (phase === undefined || phase > started) throw new Error(`${a.device} of phase ${phase} assigned in phase ${started}`);
    this.assigned.set(a.device, 1);
    this.assignTimes.push(this.now);
    const inWindow = this.assignTimes.filter((t) => this.now - t < 60_000).length;
    if (inWindow > this.plan.ratePerMinute) throw new Error(`${inWindow} assigns within a minute`);
  }

  #checkRevert(a: RolloutAction): void {
    if (a.release !== PREVIOUS) throw new Error(`revert to ${a.release}`);
    if (!this.assigned.has(a.device)) throw new Error(`${a.device} reverted but never assigned`);
    this.reverted.set(a.device, (this.reverted.get(a.device) ?? 0) + 1);
    if (this.reverted.get(a.device)! > 1) throw new Error(`${a.device} reverted twice`);
  }
}
