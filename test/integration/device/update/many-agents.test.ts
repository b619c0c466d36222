/**
 * Many devices, each the real update agent in its own data dir with its own device id, updating from one
 * repository server at the same time (SPEC §10 rollouts, at the scale one process allows): all come through a
 * healthy release; a bad release on a canary group comes back to the old version on every canary device by
 * itself, a fleet revert leaves them idle on it, and a device holding an update lock is updated only once it lets go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseLock, takeLock } from '../../../../device/update/index.ts';
import { createSimUpdateDevice, type SimUpdateDevice } from '../../../support/update-device.ts';
import { type Release, startUpdateRepo, type UpdateRepo } from '../../../support/update-repo.ts';

const DEVICES = 50;
const CANARY = 10;

let repo: UpdateRepo;
let devices: SimUpdateDevice[];
let v1: Release;

async function rollOut(group: readonly SimUpdateDevice[], release: Release): Promise<void> {
  await Promise.all(
    group.map(async (device) => {
      device.offer(repo.assign(device.id, release));
      await device.settle();
    }),
  );
}

beforeAll(async () => {
  repo = await startUpdateRepo();
  v1 = await repo.release('1.0.0', { 'app.js': 'v1', 'health.txt': 'ok' });
  devices = await Promise.all(Array.from({ length: DEVICES }, (_, i) => createSimUpdateDevice({ repo, id: `device-${i}` })));
});

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
  await repo.close();
});

describe(`${DEVICES} update agents in one process`, () => {
  it('all install a release concurrently and judge it healthy', async () => {
    await rollOut(devices, v1);
    for (const device of devices) {
      expect(device.runningFile('app.js'), device.id).toBe('v1');
      expect(device.reports.map((r) => r.status), device.id).toEqual(['downloading', 'installed', 'healthy', 'idle']);
    }
    expect(repo.requests.filter((r) => r === `targets/${v1.name}`)).toHaveLength(DEVICES);
  });

  it('a release failing its health check on the canary: every canary device is back on the old version by itself', async () => {
    const bad = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'audits fail' });
    const canary = devices.slice(0, CANARY);
    await rollOut(canary, bad);
    for (const device of canary) {
      expect(device.reports.find((r) => r.target === bad.name && r.status === 'rolled-back'), device.id).toMatchObject({
        running: v1.name,
        code: 'UNHEALTHY',
      });
      expect(device.runningFile('app.js'), device.id).toBe('v1');
    }
    // The fleet aborts and reverts: newer director metadata naming the old target.
    await rollOut(canary, v1);
    for (const device of [...canary, ...devices.slice(CANARY)]) {
      expect(device.last(), device.id).toEqual({ status: 'idle', target: v1.name, running: v1.name });
    }
  });

  it('a device holding an update lock is updated only after it lets go', async () => {
    const good = await repo.release('3.0.0', { 'app.js': 'v3', 'health.txt': 'ok' });
    const [locked, ...others] = devices.slice(CANARY, CANARY + 5) as [SimUpdateDevice, ...SimUpdateDevice[]];
    const now = locked.clock.now();
    takeLock(locked.dataDir, { holder: 'worker', reason: 'serving a long transfer', expiresAt: now + 3_600_000 }, now);
    await rollOut([locked, ...others], good);
    for (const device of others) expect(device.runningFile('app.js'), device.id).toBe('v3');
    expect(locked.last()?.status).toBe('waiting-lock');
    expect(locked.runningFile('app.js')).toBe('v1');
    releaseLock(locked.dataDir, 'worker', locked.clock.now());
    locked.clock.advance(30_000);
    await locked.settle();
    expect(locked.runningFile('app.js')).toBe('v3');
    expect(locked.last()).toEqual({ status: 'idle', target: good.name, running: good.name });
  });
});
