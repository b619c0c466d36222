/**
 * The update agent against a real HTTP repository (test/support/update-repo.ts) with small real bundles, on a
 * ManualClock: install, switch, judge and commit; roll back by itself on failed health and on a crash loop; a
 * fleet revert; a dropped download resumed with a Range request; update locks released or expired.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { readUpdateState, releaseLock, takeLock, updatePaths } from '../../../../device/update/index.ts';
import { createSimUpdateDevice, type SimUpdateDevice } from '../../../support/update-device.ts';
import { type Release, startUpdateRepo, type UpdateRepo } from '../../../support/update-repo.ts';

const ID = 'device-one';
const MINUTE = 60_000;

let repo: UpdateRepo;
let device: SimUpdateDevice;
let v1: Release;

const statuses = () => device.reports.map((r) => r.status);
const state = () => readUpdateState(updatePaths(device.dataDir).state);
const slots = () => readdirSync(updatePaths(device.dataDir).slots).sort();
const targetRequests = () => repo.requests.filter((r) => r.startsWith('targets/'));
/** Text that gzip cannot shrink, so a bundle is large enough to cut a download of it part-way. */
const noise = (label: string) => Array.from({ length: 200 }, (_, i) => toHex(sha256(utf8(`${label} ${i}`)))).join('\n');

async function install(release: Release): Promise<void> {
  device.offer(repo.assign(ID, release));
  await device.settle();
}

beforeEach(async () => {
  repo = await startUpdateRepo();
  v1 = await repo.release('1.0.0', { 'app.js': 'v1', 'health.txt': 'ok', 'lib/data.txt': noise('v1') });
  device = await createSimUpdateDevice({ repo, id: ID });
});

afterEach(async () => {
  await device.close();
  await repo.close();
});

describe('update agent', () => {
  it('downloads, installs beside, restarts, judges healthy and commits; the same target again is idle', async () => {
    expect(device.runningFile('app.js')).toBeNull();
    await install(v1);
    expect(statuses()).toEqual(['downloading', 'installed', 'healthy', 'idle']);
    expect(device.runningFile('app.js')).toBe('v1');
    expect(device.runningFile('lib/data.txt')).toBe(noise('v1'));
    expect(device.restarts).toHaveLength(1);
    expect(device.last()).toEqual({ status: 'idle', target: v1.name, running: v1.name });

    const v2 = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'ok' });
    await install(v2);
    expect(device.runningFile('app.js')).toBe('v2');
    expect(state()).toMatchObject({ running: { name: v2.name }, previous: { name: v1.name }, trial: null });
    expect(slots()).toEqual([toHex(sha256(v1.bytes)), toHex(sha256(v2.bytes))].sort());
    expect(readdirSync(updatePaths(device.dataDir).downloads)).toEqual([]);

    const downloads = targetRequests().length;
    await install(v2); // newer director metadata, same target
    expect(device.last()).toEqual({ status: 'idle', target: v2.name, running: v2.name });
    expect(targetRequests()).toHaveLength(downloads);
    expect(device.restarts).toHaveLength(2);
  });

  it('rolls back by itself when the new release fails its health check, and does not retry it', async () => {
    await install(v1);
    const bad = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'cannot reach the network' });
    await install(bad);
    const report = device.reports.find((r) => r.status === 'rolled-back');
    expect(report).toMatchObject({ target: bad.name, running: v1.name, code: 'UNHEALTHY' });
    expect(report?.reason).toMatch(/check 1 of 3 failed: cannot reach the network/);
    expect(device.runningFile('app.js')).toBe('v1');
    expect(device.restarts.map((slot) => slot?.slice(-64))).toEqual([v1, bad, v1].map((r) => toHex(sha256(r.bytes))));
    expect(state()).toMatchObject({ running: { name: v1.name }, trial: null, rejected: { target: { name: bad.name } } });
    expect(slots()).toEqual([toHex(sha256(v1.bytes))]);

    // The retained offer comes again (a reconnect): the rolled-back release is not tried again under it.
    device.offer(retainedOffer());
    await device.settle();
    expect(device.restarts).toHaveLength(3);
    expect(device.last()?.status).toBe('rolled-back');

    // The fleet's revert: newer director metadata naming the release that runs.
    await install(v1);
    expect(device.last()).toEqual({ status: 'idle', target: v1.name, running: v1.name });
  });

  it('rolls back unjudged when the new release keeps dying before its verdict (crash loop)', async () => {
    await install(v1);
    const v2 = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'ok' });
    device.offer(repo.assign(ID, v2));
    await device.whenRebooted();
    expect(state().trial).toMatchObject({ target: { name: v2.name }, bootsLeft: 1 });
    await device.crash();
    await device.boot();
    expect(state().trial?.bootsLeft).toBe(0);
    await device.crash();
    await device.boot();
    await device.settle();
    expect(device.reports.find((r) => r.status === 'rolled-back')).toMatchObject({ target: v2.name, running: v1.name, code: 'CRASH_LOOP' });
    expect(device.runningFile('app.js')).toBe('v1');
    expect(device.reports.some((r) => r.status === 'healthy' && r.target === v2.name)).toBe(false);
  });

  it('a fleet revert (newer director metadata naming the older target) runs it again from the kept slot', async () => {
    await install(v1);
    const v2 = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'ok' });
    await install(v2);
    const requested = targetRequests().length;
    await install(v1);
    expect(device.runningFile('app.js')).toBe('v1');
    expect(targetRequests()).toHaveLength(requested);
    expect(state()).toMatchObject({ running: { name: v1.name }, previous: { name: v2.name }, trial: null });
    expect(device.last()).toEqual({ status: 'idle', target: v1.name, running: v1.name });
    expect(device.reports.filter((r) => r.status === 'healthy').map((r) => r.target)).toEqual([v1.name, v2.name, v1.name]);
  });

  it('resumes a download the server dropped part-way with a Range request', async () => {
    repo.dropOnce(v1.name, 4_000);
    device.offer(repo.assign(ID, v1));
    await device.settle();
    expect(device.last()).toMatchObject({ status: 'failed', code: 'INCOMPLETE', target: v1.name, running: null });
    const part = `${updatePaths(device.dataDir).downloads}/${toHex(sha256(v1.bytes))}.part`;
    expect(readFileSync(part).length).toBe(4_000);
    device.clock.advance(MINUTE);
    await device.settle();
    expect(targetRequests()).toEqual([`targets/${v1.name}`, `targets/${v1.name} range=bytes=4000-`]);
    expect(device.runningFile('lib/data.txt')).toBe(noise('v1'));
    expect(device.last()?.status).toBe('idle');
    expect(existsSync(part)).toBe(false);
  });

  it('waits for an update lock to be released', async () => {
    const now = device.clock.now();
    takeLock(device.dataDir, { holder: 'worker', reason: 'answering an audit', expiresAt: now + 60 * MINUTE }, now);
    device.offer(repo.assign(ID, v1));
    await device.settle();
    expect(device.last()).toEqual({ status: 'waiting-lock', target: v1.name, running: null, reason: 'held by worker: answering an audit' });
    device.clock.advance(MINUTE);
    await device.settle();
    expect(targetRequests()).toEqual([]);
    releaseLock(device.dataDir, 'worker', device.clock.now());
    device.clock.advance(MINUTE);
    await device.settle();
    expect(device.runningFile('app.js')).toBe('v1');
    expect(statuses()).toEqual(['waiting-lock', 'downloading', 'installed', 'healthy', 'idle']);
  });

  it('updates once an update lock expires', async () => {
    const now = device.clock.now();
    takeLock(device.dataDir, { holder: 'worker', reason: 'a long transfer', expiresAt: now + 45_000 }, now);
    device.offer(repo.assign(ID, v1));
    await device.settle();
    expect(device.last()?.status).toBe('waiting-lock');
    device.clock.advance(44_999);
    await device.settle();
    expect(device.last()?.status).toBe('waiting-lock');
    device.clock.advance(1);
    await device.settle();
    expect(device.runningFile('app.js')).toBe('v1');
  });
});

/** The offer the fleet holds for ID now (its latest director document), as the retained desired state carries it. */
function retainedOffer() {
  return { director: repo.director.metadataFor(ID)!, directorRoots: [], repository: repo.url };
}
