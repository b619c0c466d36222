import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rollout, RolloutError, type Phase, type ReportStatus, type RolloutPlan } from '../../../../fleet/rollout/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { fleet, plan, PREVIOUS, RELEASE, Rig } from './rig.ts';

const GROUPS = ['canary', 'east', 'west'];

const phasesArb: fc.Arbitrary<Phase[]> = fc
  .tuple(
    fc.option(fc.constantFrom(...GROUPS), { nil: undefined }),
    fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([group, percents, all]) => {
    const phases: Phase[] = group === undefined ? [] : [{ name: 'canary', group }];
    for (const p of [...percents].sort((a, b) => a - b)) phases.push({ name: `p${p}`, percent: p });
    if (all || phases.length === 0) phases.push({ name: 'all' });
    return phases;
  });

const planArb: fc.Arbitrary<RolloutPlan> = fc.record({
  phases: phasesArb,
  successThreshold: fc.constantFrom(0.25, 0.5, 0.9, 1),
  failureBudget: fc.integer({ min: 0, max: 3 }),
  concurrency: fc.integer({ min: 1, max: 6 }),
  ratePerMinute: fc.integer({ min: 1, max: 20 }),
  timeoutMs: fc.integer({ min: 1_000, max: 300_000 }),
}).map((p) => plan(p));

const fleetArb = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.array(fc.subarray(GROUPS), { minLength: n, maxLength: n }).map((groups) =>
    groups.map((g, i) => ({ id: `d${i}`, groups: g, release: PREVIOUS })),
  ),
);

const STATUSES: ReportStatus[] = ['downloading', 'installed', 'healthy', 'failed', 'rolled-back'];

type Op =
  | { kind: 'tick'; dt: number }
  | { kind: 'report'; pick: number; status: ReportStatus; anyDevice: boolean }
  | { kind: 'lock'; pick: number; forMs: number }
  | { kind: 'unlock'; pick: number }
  | { kind: 'pause' | 'resume' | 'abort' | 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 120_000 }) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      pick: fc.nat(),
      status: fc.constantFrom(...STATUSES),
      anyDevice: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lock' as const), pick: fc.nat(), forMs: fc.integer({ min: 1, max: 600_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unlock' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'restart' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const) }) },
);

function apply(rig: Rig, op: Op): void {
  const ids = rig.devices.map((d) => d.id);
  const state = rig.engine.progress().state;
  switch (op.kind) {
    case 'tick':
      rig.now += op.dt;
      rig.call((e, now) => e.tick(now));
      return;
    case 'report': {
      const pool = op.anyDevice ? ids : rig.inFlight();
      const id = pool[op.pick % Math.max(pool.length, 1)];
      if (id !== undefined) rig.call((e, now) => e.report(id, op.status, now));
      return;
    }
    case 'lock':
      rig.locks.set(ids[op.pick % ids.length]!, rig.now + op.forMs);
      return;
    case 'unlock':
      rig.locks.delete(ids[op.pick % ids.length]!);
      return;
    case 'restart':
      rig.restart();
      return;
    case 'pause':
      if (state === 'running') rig.call((e, now) => e.pause(now));
      else expect(codeOf(() => rig.engine.pause(rig.now), RolloutError)).toBe('BAD_STATE');
      return;
    case 'resume':
      if (state === 'paused') rig.call((e, now) => e.resume(now));
      else expect(codeOf(() => rig.engine.resume(rig.now), RolloutError)).toBe('BAD_STATE');
      return;
    case 'abort':
      if (state === 'running' || state === 'paused') rig.call((e, now) => e.abort('operator', now));
      else expect(codeOf(() => rig.engine.abort('again', rig.now), RolloutError)).toBe('BAD_STATE');
  }
}

describe('rollout engine invariants (random fleets, plans and reports)', () => {
  it('hold after every call: concurrency, phases started, locks, one revert each after abort', () => {
    fc.assert(
      fc.property(planArb, fleetArb, fc.array(opArb, { maxLength: 120 }), (p, devices, ops) => {
        const rig = new Rig('r-prop', p, devices);
        for (const op of ops) apply(rig, op);
        const end = rig.engine.progress();
        if (end.state === 'aborted') {
          expect([...rig.reverted.keys()].sort()).toEqual([...rig.assigned.keys()].sort());
          expect(end.abort).not.toBeNull();
        }
        if (end.state === 'done') {
          for (const phase of end.phases) expect(phase.healthy / Math.max(phase.total, 1)).toBeGreaterThanOrEqual(phase.total === 0 ? 0 : p.successThreshold);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('bring every device to the release exactly once when every device reports healthy', () => {
    const lockArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 900_000 })), { maxLength: 8 });
    fc.assert(
      fc.property(planArb, fleetArb, lockArb, fc.integer({ min: 1_000, max: 90_000 }), (p0, devices, locks, step) => {
        const p: RolloutPlan = { ...p0, phases: [...p0.phases.filter((ph) => !('name' in ph && ph.name === 'all')), { name: 'all' }] };
        const rig = new Rig('r-good', p, devices);
        for (const [pick, forMs] of locks) rig.locks.set(devices[pick % devices.length]!.id, rig.now + forMs);
        for (let i = 0; i < 10_000 && rig.engine.progress().state === 'running'; i++) {
          const actions = rig.run((e, now) => e.tick(now), () => ['downloading', 'installed', 'healthy']);
          if (actions.length === 0) rig.now += step;
        }
        expect(rig.engine.progress().state).toBe('done');
        expect([...rig.assigned.keys()].sort()).toEqual(devices.map((d) => d.id).sort());
        expect(rig.reverted.size).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('continue after a restart from the stored snapshot exactly as without one', () => {
    fc.assert(
      fc.property(planArb, fleetArb, fc.array(opArb.filter((o) => o.kind !== 'restart'), { maxLength: 60 }), fc.nat(60), (p, devices, ops, at) => {
        const straight = new Rig('r-same', p, devices);
        const restarted = new Rig('r-same', p, devices);
        ops.forEach((op, i) => {
          if (i === at) restarted.restart();
          apply(straight, op);
          apply(restarted, op);
        });
        expect(restarted.engine.snapshot()).toEqual(straight.engine.snapshot());
        expect([...restarted.assigned]).toEqual([...straight.assigned]);
      }),
      { numRuns: 80 },
    );
  });
});

describe('a rollout over 200 devices', () => {
  const devices = fleet(200, 10);
  const canary = new Set(devices.filter((d) => d.groups.includes('canary')).map((d) => d.id));

  it('aborts within the failure budget when the release fails on the canary, reverting only canary devices', () => {
    const rig = new Rig('r-bad', plan({ failureBudget: 2, concurrency: 4 }), devices);
    const failing = (): ReportStatus[] => ['installed', 'rolled-back'];
    for (let i = 0; i < 1_000 && rig.engine.progress().state === 'running'; i++) {
      rig.run((e, now) => e.tick(now), failing);
      rig.now += 1_000;
    }
    const end = rig.engine.progress();
    expect(end.state).toBe('aborted');
    expect(end.abort).toMatchObject({ code: 'failure-budget', phase: 'canary' });
    // The third failure aborts; devices already assigned alongside it are bounded by the concurrency.
    expect(end.phases[0]).toMatchObject({ failed: 3 });
    expect(rig.assigned.size).toBeLessThanOrEqual(2 + 4);
    for (const id of rig.assigned.keys()) expect(canary.has(id)).toBe(true);
    expect([...rig.reverted.keys()].sort()).toEqual([...rig.assigned.keys()].sort());
    expect(end.phases.slice(1).every((p) => p.inFlight + p.healthy + p.failed === 0)).toBe(true);
  });

  it('reaches every device through its phases; a locked device waits until it lets go or its lock expires', () => {
    const rig = new Rig('r-good', plan({ concurrency: 8, ratePerMinute: 30 }), devices);
    const heldByApp = devices[3]!.id; // canary: the phase waits for it
    const expiring = devices[150]!.id;
    rig.locks.set(heldByApp, Number.MAX_SAFE_INTEGER);
    rig.locks.set(expiring, rig.now + 3_600_000);
    const assignedAt = new Map<string, number>();
    const healthy = (device: string): ReportStatus[] => {
      assignedAt.set(device, rig.now);
      return ['healthy'];
    };
    for (let i = 0; i < 5_000 && rig.engine.progress().state === 'running'; i++) {
      rig.run((e, now) => e.tick(now), healthy);
      const canaryPhase = rig.engine.progress().phases[0]!;
      if (canaryPhase.healthy === canary.size - 1 && rig.locks.has(heldByApp)) {
        expect(canaryPhase).toMatchObject({ state: 'active', lockedWaiting: 1, pending: 0 });
        expect(rig.engine.progress().phases[1]).toMatchObject({ state: 'waiting', inFlight: 0, healthy: 0 });
        rig.locks.delete(heldByApp); // the application lets go
      }
      rig.now += 10_000;
    }
    expect(rig.engine.progress().state).toBe('done');
    expect(rig.assigned.size).toBe(200);
    expect(assignedAt.get(expiring)).toBeGreaterThanOrEqual(1_000_000 + 3_600_000);
  });
});

describe('rollout engine transitions', () => {
  it('aborts on the success threshold when a phase ends with too few healthy', () => {
    const rig = new Rig('r-threshold', plan({ phases: [{ name: 'all' }], successThreshold: 0.8, failureBudget: 5 }), fleet(10, 0));
    rig.run((e, now) => e.tick(now), (device) => [Number(device.slice(4)) < 3 ? 'failed' : 'healthy']);
    expect(rig.engine.progress().abort).toMatchObject({ code: 'threshold', phase: 'all' });
    expect(rig.reverted.size).toBe(10);
  });

  it('counts a device that stays in flight past the timeout as failed and sends it back', () => {
    const rig = new Rig('r-timeout', plan({ phases: [{ name: 'all' }], concurrency: 1, timeoutMs: 5_000 }), fleet(3, 0));
    const [first] = rig.call((e, now) => e.tick(now));
    rig.call((e, now) => e.report(first!.device, 'downloading', now));
    rig.now += 4_999;
    expect(rig.call((e, now) => e.tick(now))).toEqual([]);
    rig.now += 1;
    const actions = rig.call((e, now) => e.tick(now));
    expect(actions[0]).toEqual({ kind: 'revert', device: first!.device, release: PREVIOUS });
    expect(actions[1]).toMatchObject({ kind: 'assign', release: RELEASE });
    expect(rig.engine.progress().phases[0]).toMatchObject({ failed: 1, inFlight: 1 });
    expect(rig.engine.snapshot().devices.find((d) => d.id === first!.device)?.failure).toMatch(/within 5000 ms \(last: downloading\)/);
  });

  it('assigns nothing while paused and continues on resume; limits assignments per minute', () => {
    const rig = new Rig('r-pause', plan({ phases: [{ name: 'all' }], concurrency: 10, ratePerMinute: 2 }), fleet(6, 0));
    expect(rig.call((e, now) => e.tick(now))).toHaveLength(2);
    rig.now += 59_999;
    expect(rig.call((e, now) => e.tick(now))).toHaveLength(0);
    rig.call((e, now) => e.pause(now));
    rig.now += 120_000;
    expect(rig.call((e, now) => e.tick(now))).toHaveLength(0);
    expect(rig.engine.progress().state).toBe('paused');
    expect(rig.call((e, now) => e.resume(now))).toHaveLength(2);
  });

  it('counts a rollback after healthy against the active phase only', () => {
    const rig = new Rig('r-late', plan({ phases: [{ name: 'first', percent: 50 }, { name: 'all' }], concurrency: 1, failureBudget: 1, successThreshold: 0.5 }), fleet(4, 0));
    const [a] = rig.call((e, now) => e.tick(now));
    const [b] = rig.call((e, now) => e.report(a!.device, 'healthy', now));
    expect(rig.call((e, now) => e.report(a!.device, 'rolled-back', now))).toEqual([{ kind: 'revert', device: a!.device, release: PREVIOUS }]);
    expect(rig.engine.progress().phases[0]).toMatchObject({ healthy: 0, failed: 1, inFlight: 1, state: 'active' });
    const [c] = rig.call((e, now) => e.report(b!.device, 'healthy', now));
    expect(rig.engine.progress().phases[0]).toMatchObject({ state: 'passed' });
    expect(rig.call((e, now) => e.report(b!.device, 'failed', now))).toEqual([]);
    expect(c).toMatchObject({ kind: 'assign' });
    expect(rig.engine.progress().phases[0]).toMatchObject({ healthy: 1, failed: 1 });
  });

  it('refuses reports it cannot place with typed errors', () => {
    const rig = new Rig('r-input', plan(), fleet(3, 1));
    expect(codeOf(() => rig.engine.report('nobody', 'healthy', rig.now), RolloutError)).toBe('UNKNOWN_DEVICE');
    expect(codeOf(() => rig.engine.report('dev-0', 'exploded' as ReportStatus, rig.now), RolloutError)).toBe('BAD_INPUT');
    expect(codeOf(() => rig.engine.tick(Number.NaN), RolloutError)).toBe('BAD_INPUT');
  });

  it('leaves a device already on the release alone and counts it healthy', () => {
    const devices = fleet(4, 0).map((d, i) => (i === 0 ? { ...d, release: RELEASE } : d));
    const rig = new Rig('r-current', plan({ phases: [{ name: 'all' }] }), devices);
    const assigned = rig.call((e, now) => e.tick(now)).map((a) => a.device);
    expect(assigned.sort()).toEqual(['dev-1', 'dev-2', 'dev-3']);
    const reverts = rig.call((e, now) => e.abort('stop', now));
    expect(reverts.map((a) => a.device).sort()).toEqual(['dev-1', 'dev-2', 'dev-3']);
    expect(Rollout.restore(rig.engine.snapshot(), rig.locked).progress().abort).toMatchObject({ code: 'manual', reason: 'stop' });
  });
});
