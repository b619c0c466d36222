/** The balena rollout driver over an in-memory backend: verdicts, retries and the order of pins. */
import { describe, expect, it } from 'vitest';
import { createBalenaRolloutDriver, verdictOf, type BalenaBackend, type BalenaDeviceStatus } from '../../../../fleet/balena/index.ts';
import type { RolloutPlan } from '../../../../fleet/rollout/index.ts';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

const status = (over: Partial<BalenaDeviceStatus>): BalenaDeviceStatus => ({
  uuid: '1'.repeat(32),
  name: 'd',
  online: true,
  overallStatus: 'idle',
  running: OLD,
  pinned: null,
  groups: [],
  agent: null,
  ...over,
});

describe('verdictOf', () => {
  it('judges a device by the release it runs and its agent verdict about that release only', () => {
    expect(verdictOf(status({}), NEW)).toBeNull();
    expect(verdictOf(status({ running: NEW }), NEW)).toBe('installed');
    expect(verdictOf(status({ running: NEW, agent: { status: 'healthy', release: NEW } }), NEW)).toBe('healthy');
    // A healthy verdict about the old release says nothing about the new one.
    expect(verdictOf(status({ running: NEW, agent: { status: 'healthy', release: OLD } }), NEW)).toBe('installed');
    expect(verdictOf(status({ agent: { status: 'failed', release: NEW } }), NEW)).toBe('failed');
    expect(verdictOf(status({ running: NEW, agent: { status: 'rolled-back', release: NEW } }), NEW)).toBe('rolled-back');
    expect(verdictOf(status({ agent: { status: 'failed', release: OLD } }), NEW)).toBeNull();
  });
});

const uuids = ['1', '2', '3', '4'].map((c) => c.repeat(32));
/** Calls with their device lists sorted: the engine pins in its own (hashed) rollout order. */
const sorted = (calls: readonly string[]) => calls.map((c) => c.split(' ').map((w) => (w.includes(',') ? w.split(',').sort().join(',') : w)).join(' '));

function fakeBackend() {
  const devices = new Map(uuids.map((uuid, i) => [uuid, status({ uuid, groups: i === 0 ? ['canary'] : [] })]));
  const calls: string[] = [];
  let fleet = OLD;
  let tracksLatest = false;
  let failPins = 0;
  const backend: BalenaBackend = {
    async pinDevices(list, commit) {
      if (failPins > 0) {
        failPins--;
        throw new Error('balenaCloud is down');
      }
      calls.push(`pin ${list.join(',')} ${commit}`);
      for (const u of list) devices.set(u, { ...(devices.get(u) as BalenaDeviceStatus), pinned: commit });
    },
    async unpinDevices(list) {
      calls.push(`unpin ${list.join(',')}`);
      for (const u of list) devices.set(u, { ...(devices.get(u) as BalenaDeviceStatus), pinned: null });
    },
    async pinFleet(commit) {
      calls.push(`fleet ${commit}`);
      fleet = commit;
    },
    fleetTarget: async () => ({ release: fleet, tracksLatest }),
    setDeviceVar: async () => undefined,
    setFleetVar: async () => undefined,
    deviceStatus: async () => [...devices.values()],
  };
  /** The supervisor and the agent: every device runs what it is pinned to (or the fleet's), healthy unless `bad`. */
  const settle = (bad: ReadonlySet<string> = new Set()) => {
    for (const [u, d] of devices) {
      const target = d.pinned ?? fleet;
      devices.set(u, bad.has(u) ? { ...d, agent: { status: 'failed', release: target } } : { ...d, running: target, agent: { status: 'healthy', release: target } });
    }
  };
  return { backend, calls, settle, failNextPins: (n: number) => (failPins = n), trackLatest: () => (tracksLatest = true), fleet: () => fleet, devices };
}

const plan: RolloutPlan = {
  release: NEW,
  previousRelease: OLD,
  phases: [{ name: 'canary', group: 'canary' }, { name: 'all' }],
  successThreshold: 1,
  failureBudget: 0,
  concurrency: 10,
  ratePerMinute: 100,
  timeoutMs: 60_000,
};

describe('createBalenaRolloutDriver', () => {
  it('batches a phase into one pin, finalises with the fleet pin before the unpinning', async () => {
    const f = fakeBackend();
    let t = 0;
    const driver = createBalenaRolloutDriver({ backend: f.backend, now: () => (t += 10) });
    await driver.start('r', plan);
    f.settle();
    await driver.poll();
    f.settle();
    await driver.poll();
    expect(driver.progress('r').state).toBe('done');
    expect(sorted(f.calls)).toEqual([`pin ${uuids[0]} ${NEW}`, `pin ${uuids.slice(1).join(',')} ${NEW}`, `fleet ${NEW}`, `unpin ${uuids.join(',')}`]);
    await driver.stop();
  });

  it('retries a pin that failed, and never lets an older retry undo a newer revert', async () => {
    const f = fakeBackend();
    let t = 0;
    const warnings: object[] = [];
    const driver = createBalenaRolloutDriver({ backend: f.backend, now: () => (t += 10), logger: { info: () => undefined, warn: (o) => warnings.push(o) } });
    f.failNextPins(1);
    await driver.start('r', plan);
    expect(f.calls).toEqual([]);
    expect(warnings).toHaveLength(1);
    await driver.poll(); // the retry goes out
    expect(f.calls).toEqual([`pin ${uuids[0]} ${NEW}`]);

    // The assignment to the canary fails to go out, then the operator aborts: only the revert may stand.
    const g = fakeBackend();
    const second = createBalenaRolloutDriver({ backend: g.backend, now: () => (t += 10) });
    g.failNextPins(1);
    await second.start('s', plan);
    await second.abort('s', 'changed my mind');
    await second.poll();
    await second.poll();
    expect(g.calls).toEqual([`pin ${uuids[0]} ${OLD}`]);
    expect(g.devices.get(uuids[0] as string)?.pinned).toBe(OLD);
    await driver.stop();
    await second.stop();
  });

  it('keeps a failed device pinned to the old release when the rollout still passes, and does not unpin it', async () => {
    const f = fakeBackend();
    let t = 0;
    const driver = createBalenaRolloutDriver({ backend: f.backend, now: () => (t += 10) });
    await driver.start('r', { ...plan, failureBudget: 1, successThreshold: 0.5 });
    f.settle();
    await driver.poll();
    f.settle(new Set([uuids[3] as string]));
    await driver.poll();
    expect(driver.progress('r').state).toBe('done');
    expect(f.fleet()).toBe(NEW);
    expect(f.devices.get(uuids[3] as string)?.pinned).toBe(OLD);
    expect(sorted(f.calls).at(-1)).toBe(`unpin ${uuids.slice(0, 3).join(',')}`);
    await driver.stop();
  });

  it('refuses a fleet that tracks the latest release: it would install the release everywhere at once', async () => {
    const f = fakeBackend();
    f.trackLatest();
    const driver = createBalenaRolloutDriver({ backend: f.backend, now: () => 0 });
    await expect(driver.start('r', plan)).rejects.toMatchObject({ code: 'BAD_STATE', message: expect.stringContaining('tracks the latest release') });
    expect(f.calls).toEqual([]);
  });

  it('refuses calls after stop and unknown rollouts', async () => {
    const f = fakeBackend();
    const driver = createBalenaRolloutDriver({ backend: f.backend, now: () => 0 });
    expect(() => driver.progress('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await driver.stop();
    await expect(driver.start('r', plan)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => driver.begin()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('polls on the injected schedule until stopped', async () => {
    const f = fakeBackend();
    const timers: (() => void)[] = [];
    let cancelled = false;
    let t = 0;
    const driver = createBalenaRolloutDriver({
      backend: f.backend,
      now: () => (t += 10),
      pollMs: 5_000,
      schedule: (ms, fn) => {
        expect(ms).toBe(5_000);
        timers.push(fn);
        return () => (cancelled = true);
      },
    });
    await driver.start('r', plan);
    driver.begin();
    f.settle();
    timers[0]?.();
    await driver.stop();
    expect(driver.progress('r').phase).toBe('all');
    expect(cancelled).toBe(true);
  });
});
