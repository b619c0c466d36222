/** The rollout driver over a real registry file, with an in-memory director that records (or refuses) assignments. */
import { afterEach, describe, expect, it } from 'vitest';
import { ControllerError, createRolloutDriver, type DirectorRecord, type RolloutDriver } from '../../../../fleet/controller/index.ts';
import type { RolloutPlan } from '../../../../fleet/rollout/index.ts';
import type { DirectorTarget } from '../../../../node/update/index.ts';
import { device, tempRegistry, type TempRegistry } from '../registry/temp.ts';

let t: TempRegistry | undefined;
afterEach(() => t?.cleanup());

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);
const OLD_TARGET = 'ame-app-1.0.0-arm64.tar.gz';
const NEW_TARGET = 'ame-app-2.0.0-arm64.tar.gz';

class FakeDirector {
  readonly sent: [string, string][] = [];
  readonly records = new Map<string, DirectorRecord>();
  failing = false;

  async assign(deviceId: string, target: DirectorTarget): Promise<Uint8Array> {
    if (this.failing) throw new ControllerError('PUBLISH_FAILED', 'broker down');
    this.sent.push([deviceId, target.name]);
    const version = (this.records.get(deviceId)?.version ?? 0) + 1;
    this.records.set(deviceId, { version, target, seq: version, payload: new Uint8Array() });
    return new Uint8Array();
  }

  current(deviceId: string): DirectorRecord | undefined {
    return this.records.get(deviceId);
  }
}

function setup(fleet = 6) {
  t = tempRegistry('driver');
  const r = t.registry;
  const devices = Array.from({ length: fleet }, (_, i) => device(`driver ${i}`, i < 2 ? ['canary'] : []));
  for (const d of devices) r.enrol(d, 1);
  r.releases.add({ id: OLD, target: OLD_TARGET, version: '1.0.0', arch: 'arm64', length: 100 }, 1);
  r.releases.add({ id: NEW, target: NEW_TARGET, version: '2.0.0', arch: 'arm64', length: 200 }, 1);
  const clock = { t: 1_000 };
  const director = new FakeDirector();
  const driver = (d = director): RolloutDriver => createRolloutDriver({ registry: t!.registry, director: d, now: () => clock.t, schedule: () => () => undefined });
  const ids = devices.map((d) => d.id);
  return { r, ids, clock, director, driver };
}

const plan = (overrides: Partial<RolloutPlan> = {}): RolloutPlan => ({
  release: NEW,
  previousRelease: OLD,
  phases: [{ name: 'canary', group: 'canary' }, { name: 'all' }],
  successThreshold: 1,
  failureBudget: 0,
  concurrency: 10,
  ratePerMinute: 100,
  timeoutMs: 60_000,
  ...overrides,
});

const report = (status: 'healthy' | 'failed' | 'installed', target = NEW_TARGET) => ({ status, target, running: null });

describe('rollout driver', () => {
  it('assigns the canary through the director and snapshots every call to the registry', async () => {
    const s = setup();
    const d = s.driver();
    d.start('r1', plan());
    await d.settled();
    const canary = s.ids.filter((id) => s.r.devices.get(id)!.groups.includes('canary'));
    expect(s.director.sent.map(([id]) => id).sort()).toEqual(canary.sort());
    expect(s.director.sent.every(([, target]) => target === NEW_TARGET)).toBe(true);
    d.report(canary[0]!, report('installed'));
    const stored = s.r.rollouts.get('r1')!;
    expect(stored.status).toBe('running');
    expect((stored.state as { devices: { id: string; stage: string }[] }).devices.find((x) => x.id === canary[0])?.stage).toBe('installed');
  });

  it('takes only reports about the release’s own target', async () => {
    const s = setup();
    const d = s.driver();
    d.start('r1', plan());
    await d.settled();
    const [first] = s.director.sent[0]!;
    d.report(first, report('healthy', OLD_TARGET)); // a retained report from before the rollout
    d.report(first, { status: 'idle', target: NEW_TARGET, running: null });
    expect(d.progress('r1').phases[0]).toMatchObject({ healthy: 0, inFlight: 2 });
    d.report(first, report('healthy'));
    expect(d.progress('r1').phases[0]).toMatchObject({ healthy: 1, inFlight: 1 });
  });

  it('a failure past the budget aborts and reverts every assigned device to the previous target', async () => {
    const s = setup();
    const d = s.driver();
    d.start('r1', plan());
    await d.settled();
    const assigned = s.director.sent.map(([id]) => id);
    d.report(assigned[0]!, report('failed'));
    await d.settled();
    expect(d.progress('r1').state).toBe('aborted');
    expect(s.director.sent.slice(assigned.length).map(([, target]) => target)).toEqual(assigned.map(() => OLD_TARGET));
    expect(s.director.sent.slice(assigned.length).map(([id]) => id).sort()).toEqual([...assigned].sort());
  });

  it('pauses new assignments and resumes them', async () => {
    const s = setup();
    const d = s.driver();
    d.start('r1', plan());
    await d.settled();
    d.pause('r1');
    for (const [id] of s.director.sent.slice()) d.report(id, report('healthy'));
    d.tick();
    await d.settled();
    expect(s.director.sent).toHaveLength(2);
    expect(d.progress('r1').state).toBe('paused');
    d.resume('r1');
    await d.settled();
    expect(s.director.sent).toHaveLength(s.ids.length);
  });

  it('retries an assignment the broker did not take at the next tick', async () => {
    const s = setup();
    s.director.failing = true;
    const d = s.driver();
    d.start('r1', plan());
    await d.settled();
    expect(s.director.sent).toEqual([]);
    s.director.failing = false;
    d.tick();
    await d.settled();
    expect(s.director.sent).toHaveLength(2);
  });

  it('after a restart, sends what the snapshot says was assigned but the director never signed', async () => {
    const s = setup();
    s.director.failing = true;
    const before = s.driver();
    before.start('r1', plan());
    await before.stop(); // the controller dies with both canary assignments unsent
    s.director.failing = false;
    const after = s.driver();
    after.begin();
    await after.settled();
    expect(s.director.sent.map(([, target]) => target)).toEqual([NEW_TARGET, NEW_TARGET]);
    after.begin(); // a second restore sends nothing again: the director records agree now
    await after.settled();
    expect(s.director.sent).toHaveLength(2);
    expect(after.progress('r1').inFlight).toBe(2);
    await after.stop();
  });

  it('refuses an unknown rollout or release with NOT_FOUND', () => {
    const s = setup();
    const d = s.driver();
    expect(() => d.progress('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => d.start('r2', plan({ release: 'c'.repeat(64) }))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
