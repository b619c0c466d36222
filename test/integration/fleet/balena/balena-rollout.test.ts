/**
 * Rollouts over balenaCloud through the real balena-sdk 23, over HTTP, against the local balena API server
 * (issue 10, Done-when 4): a good release pins the canary set, then the rest, then the fleet; a bad one aborts
 * within the failure budget with every canary pinned back to, and running, the old release.
 */
import { getSdk } from 'balena-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createBalenaBackend, createBalenaRolloutDriver, GROUPS_TAG, type BalenaRolloutDriver } from '../../../../fleet/balena/index.ts';
import type { RolloutPlan, RolloutSnapshot } from '../../../../fleet/rollout/index.ts';
import { startBalenaApi, type BalenaApi, type LoggedRequest } from '../../../support/balena-api.ts';

const OLD = '1'.repeat(40);
const NEW = '2'.repeat(40);
const TOKEN = 'balena-test-token';
const FLEET = 'ame/fleet';
const uuidOf = (i: number) => i.toString(16).padStart(32, '0');
const CANARY = [0, 1, 2].map(uuidOf);
const REST = [3, 4, 5, 6, 7, 8, 9, 10, 11].map(uuidOf);

const plan = (over: Partial<RolloutPlan> = {}): RolloutPlan => ({
  release: NEW,
  previousRelease: OLD,
  phases: [{ name: 'canary', group: 'canary' }, { name: 'half', percent: 50 }, { name: 'all' }],
  successThreshold: 1,
  failureBudget: 1,
  concurrency: 12,
  ratePerMinute: 60,
  timeoutMs: 600_000,
  ...over,
});

let api: BalenaApi | undefined;
let driver: BalenaRolloutDriver | undefined;

afterEach(async () => {
  await driver?.stop();
  await api?.close();
  driver = undefined;
  api = undefined;
});

async function rig() {
  api = await startBalenaApi({
    token: TOKEN,
    fleet: { slug: FLEET, pinned: OLD },
    releases: [OLD, NEW],
    devices: [...CANARY, ...REST].map((uuid, i) => ({ uuid, running: OLD, tags: i < 3 ? { [GROUPS_TAG]: 'canary' } : {} })),
  });
  const sdk = getSdk({ apiUrl: api.url, dataDirectory: false });
  await sdk.auth.loginWithToken(TOKEN);
  const backend = createBalenaBackend({ sdk, fleet: FLEET });
  const clock = { now: 1_000_000 };
  const snapshots: RolloutSnapshot[] = [];
  driver = createBalenaRolloutDriver({ backend, now: () => (clock.now += 1_000), onSnapshot: (s) => snapshots.push(s) });
  return { api, driver, snapshots, clock };
}

/** Device pins as the server applied them, in order: which devices, to which release. */
function pins(log: readonly LoggedRequest[], release: string, releaseIds: ReadonlyMap<string, number>): string[][] {
  const id = releaseIds.get(release);
  return log
    .filter((r) => r.method === 'PATCH' && r.resource === 'device' && r.status === 200)
    .filter((r) => (r.body as { is_pinned_on__release?: unknown }).is_pinned_on__release === id)
    .map((r) => [...r.devices]);
}

// The server numbers releases in the order given: OLD is 1, NEW is 2.
const RELEASE_IDS = new Map([
  [OLD, 1],
  [NEW, 2],
]);

describe('balena rollout driver over balena-sdk', () => {
  it('pins the canary set first, then the rest, then the fleet, and unpins the devices', async () => {
    const { api, driver } = await rig();
    let progress = await driver.start('r1', plan());
    expect(progress.phase).toBe('canary');
    expect(pins(api.requests(), NEW, RELEASE_IDS).flat().sort()).toEqual([...CANARY].sort());

    // Until the canaries run the release and their agent says healthy, nobody else is pinned.
    await driver.poll();
    expect(pins(api.requests(), NEW, RELEASE_IDS).flat().sort()).toEqual([...CANARY].sort());
    expect(driver.progress('r1').phases[0]).toMatchObject({ inFlight: 3, healthy: 0 });

    const canaryPassedAt = api.requests().length;
    for (let round = 0; round < 6 && driver.progress('r1').state !== 'done'; round++) {
      api.tick();
      await driver.poll();
    }
    progress = driver.progress('r1');
    expect(progress.state).toBe('done');
    expect(progress.phases.map((p) => [p.name, p.state, p.healthy])).toEqual([
      ['canary', 'passed', 3],
      ['half', 'passed', 3],
      ['all', 'passed', 6],
    ]);

    const log = api.requests();
    const newPins = pins(log, NEW, RELEASE_IDS);
    // Every non-canary pin came after the canary phase passed, and each device was pinned once.
    const later = pins(log.slice(canaryPassedAt), NEW, RELEASE_IDS).flat();
    expect(later.sort()).toEqual([...REST].sort());
    expect(newPins.flat().sort()).toEqual([...CANARY, ...REST].sort());
    // The fleet pin comes after every device pin, and the unpinning after the fleet pin.
    const fleetPin = log.findIndex((r) => r.method === 'PATCH' && r.resource === 'application');
    const lastDevicePin = log.findLastIndex((r) => r.method === 'PATCH' && r.resource === 'device' && (r.body as Record<string, unknown>).is_pinned_on__release === 2);
    const unpin = log.findIndex((r) => r.method === 'PATCH' && r.resource === 'device' && (r.body as Record<string, unknown>).is_pinned_on__release === null);
    expect(fleetPin).toBeGreaterThan(lastDevicePin);
    expect(unpin).toBeGreaterThan(fleetPin);
    expect(api.fleet().pinned).toBe(NEW);
    for (const uuid of [...CANARY, ...REST]) expect(api.device(uuid)).toMatchObject({ pinned: null, target: NEW, running: NEW });
    expect(api.unsupported()).toEqual([]);
  });

  it('aborts a release the canaries fail within the budget: canaries back on the old release, nobody else touched', async () => {
    const { api, driver, snapshots } = await rig();
    const [bad1, bad2, good] = CANARY as [string, string, string];
    api.markBad(bad1, NEW);
    api.markBad(bad2, NEW, 'rolled-back');
    await driver.start('r2', plan({ failureBudget: 1 }));
    api.tick();
    expect(api.device(good)).toMatchObject({ pinned: NEW, running: NEW });
    expect(api.device(bad1)).toMatchObject({ pinned: NEW, running: OLD, tags: { AME_UPDATE_STATUS: `failed ${NEW}` } });
    await driver.poll();

    const progress = driver.progress('r2');
    expect(progress.state).toBe('aborted');
    expect(progress.abort).toMatchObject({ code: 'failure-budget', phase: 'canary' });
    // Two failures are one past the budget; the abort reverts the good canary too, judged or not.
    expect(progress.phases[0]).toMatchObject({ total: 3, failed: 2, reverted: 3 });
    expect(snapshots.at(-1)?.state).toBe('aborted');

    api.tick();
    for (const uuid of CANARY) expect(api.device(uuid)).toMatchObject({ pinned: OLD, running: OLD });
    for (const uuid of REST) expect(api.device(uuid)).toMatchObject({ pinned: null, running: OLD });
    const log = api.requests();
    expect(pins(log, NEW, RELEASE_IDS).flat().sort()).toEqual([...CANARY].sort());
    expect(pins(log, OLD, RELEASE_IDS).flat().sort()).toEqual([...CANARY].sort());
    expect(log.filter((r) => r.method !== 'GET' && r.resource === 'application')).toEqual([]);
    expect(api.fleet().pinned).toBe(OLD);

    // An aborted rollout stays aborted: more polls pin nothing.
    const before = api.requests().length;
    await driver.poll();
    expect(api.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(api.unsupported()).toEqual([]);
  });

  it('a manual abort mid-rollout reverts every device pinned so far and leaves the fleet pin alone', async () => {
    const { api, driver } = await rig();
    await driver.start('r3', plan());
    api.tick();
    await driver.poll(); // canaries healthy → the half phase is pinned
    expect(driver.progress('r3').phase).toBe('half');
    const progress = await driver.abort('r3', 'operator said so');
    expect(progress.abort).toMatchObject({ code: 'manual', phase: 'half' });
    api.tick();
    const pinnedNew = pins(api.requests(), NEW, RELEASE_IDS).flat();
    expect(pinnedNew).toHaveLength(6);
    for (const uuid of pinnedNew) expect(api.device(uuid)).toMatchObject({ pinned: OLD, running: OLD });
    expect(api.fleet().pinned).toBe(OLD);
    await expect(driver.start('r4', plan())).resolves.toMatchObject({ state: 'running' });
  });

  it('refuses a rollout while the fleet is not pinned to the previous release, and a second one at a time', async () => {
    const { driver } = await rig();
    await expect(driver.start('wrong', plan({ release: OLD, previousRelease: NEW }))).rejects.toMatchObject({ code: 'BAD_STATE' });
    await driver.start('first', plan());
    await expect(driver.start('second', plan())).rejects.toMatchObject({ code: 'BAD_STATE' });
  });

  it('restores a rollout from its snapshot and re-sends the pins it had sent', async () => {
    const { api, driver, snapshots, clock } = await rig();
    await driver.start('r5', plan());
    await driver.stop();
    // A restarted controller: the same server, a new driver from the last stored snapshot.
    const sdk = getSdk({ apiUrl: api.url, dataDirectory: false });
    await sdk.auth.loginWithToken(TOKEN);
    // The crash lost the canaries' pins after the snapshot was stored.
    await sdk.models.device.trackApplicationRelease([...CANARY]);
    for (const uuid of CANARY) expect(api.device(uuid).pinned).toBeNull();
    const again = createBalenaRolloutDriver({ backend: createBalenaBackend({ sdk, fleet: FLEET }), now: () => (clock.now += 1_000) });
    await again.restore(JSON.parse(JSON.stringify(snapshots.at(-1))));
    await again.poll();
    for (const uuid of CANARY) expect(api.device(uuid).pinned).toBe(NEW);
    for (const uuid of REST) expect(api.device(uuid).pinned).toBeNull();
    for (let round = 0; round < 6 && again.progress('r5').state !== 'done'; round++) {
      api.tick();
      await again.poll();
    }
    expect(again.progress('r5').state).toBe('done');
    expect(api.fleet().pinned).toBe(NEW);
    await again.stop();
  });
});
