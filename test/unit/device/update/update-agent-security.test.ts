/**
 * The update attacks of SPEC §10 played against a device running v1 through the real repository server: older
 * director or image metadata, a frozen (expired) timestamp, mix-and-match, an unlisted target, a bundle whose
 * hash does not match, an endless download or document, metadata signed by a revoked key. Each is refused with
 * its UpdateError code as a `failed` report; the device keeps running v1, restarts nothing, and trust.json keeps
 * its bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../../../node/crypto/index.ts';
import type { UpdateOffer } from '../../../../node/fleetproto/index.ts';
import { decodeDocument, signDocument, type UpdateErrorCode } from '../../../../node/update/index.ts';
import { updatePaths } from '../../../../device/update/index.ts';
import { createSimUpdateDevice, type SimUpdateDevice } from '../../../support/update-device.ts';
import { type Release, startUpdateRepo, updateKeyOf, type UpdateRepo } from '../../../support/update-repo.ts';

const ID = 'device-attacked';
const DAY = 24 * 60 * 60 * 1000;

let repo: UpdateRepo;
let device: SimUpdateDevice;
let v1: Release;
let v2: Release;
let firstOffer: UpdateOffer;

beforeEach(async () => {
  repo = await startUpdateRepo();
  v1 = await repo.release('1.0.0', { 'app.js': 'v1', 'health.txt': 'ok' });
  device = await createSimUpdateDevice({ repo, id: ID });
  firstOffer = repo.assign(ID, v1);
  device.offer(firstOffer);
  await device.settle();
  expect(device.last()).toEqual({ status: 'idle', target: v1.name, running: v1.name });
  v2 = await repo.release('2.0.0', { 'app.js': 'v2', 'health.txt': 'ok' });
});

afterEach(async () => {
  await device.close();
  await repo.close();
});

const trustBytes = () => readFileSync(updatePaths(device.dataDir).trust, 'utf8');

/** Offers `offer`, expects a `failed` report with `code` (and `pattern`), v1 still running, trust.json as before. */
async function refused(offer: UpdateOffer, code: UpdateErrorCode, pattern: RegExp): Promise<void> {
  const trust = trustBytes();
  const restarts = device.restarts.length;
  device.offer(offer);
  await device.settle();
  const report = device.last();
  expect(report, JSON.stringify(report)).toMatchObject({ status: 'failed', running: v1.name, code });
  expect(report?.reason).toMatch(pattern);
  expect(device.runningFile('app.js')).toBe('v1');
  expect(device.restarts).toHaveLength(restarts);
  expect(trustBytes()).toBe(trust);
  expect(readdirSync(updatePaths(device.dataDir).downloads)).toEqual([]);
}

describe('update agent under attack', () => {
  it('refuses older director metadata (rollback)', async () => {
    device.offer(repo.assign(ID, v1));
    await device.settle();
    await refused(firstOffer, 'ROLLBACK', /director metadata v1 is older than trusted v2/);
  });

  it('refuses older image metadata (rollback)', async () => {
    const old = repo.image.metadata();
    await repo.release('3.0.0', { 'app.js': 'v3', 'health.txt': 'ok' });
    device.offer(repo.assign(ID, v1)); // the newer image metadata is now trusted
    await device.settle();
    repo.override('metadata/timestamp', old.timestamp);
    repo.override('metadata/snapshot', old.snapshot);
    repo.override('metadata/targets', old.targets);
    await refused(repo.assign(ID, v2), 'ROLLBACK', /^timestamp v\d+ is older than trusted v\d+/);
  });

  it('refuses an expired timestamp (freeze attack)', async () => {
    device.clock.advance(2 * DAY);
    await refused(repo.assign(ID, v2), 'EXPIRED', /^timestamp v\d+ expired at 2027-01-02/);
  });

  it('refuses metadata from different snapshots (mix-and-match)', async () => {
    const before = repo.image.metadata().snapshot;
    await repo.release('3.0.0', { 'app.js': 'v3', 'health.txt': 'ok' });
    repo.override('metadata/snapshot', before);
    await refused(repo.assign(ID, v2), 'MIX_AND_MATCH', /^snapshot: .*timestamp v\d+ names/);
  });

  it('refuses a target the director names but the image repository does not list', async () => {
    const bytes = utf8('an unlisted bundle');
    repo.serveTarget('ame-6.6.6-x64.tar.gz', bytes);
    const offer = repo.assign(ID, { name: 'ame-6.6.6-x64.tar.gz', bytes });
    await refused(offer, 'NOT_LISTED', /the director names ame-6\.6\.6-x64\.tar\.gz, which image targets v\d+ does not list/);
    expect(repo.requests.filter((r) => r.includes('6.6.6'))).toEqual([]);
  });

  it('refuses a bundle whose hash does not match the signed one', async () => {
    const tampered = new Uint8Array(v2.bytes);
    tampered[tampered.length - 20]! ^= 0xff;
    repo.serveTarget(v2.name, tampered);
    await refused(repo.assign(ID, v2), 'HASH_MISMATCH', /downloaded SHA-256 .* is not the signed one/);
  });

  it('refuses an endless download after the signed length', async () => {
    repo.override(`targets/${v2.name}`, 'endless');
    await refused(repo.assign(ID, v2), 'TOO_LARGE', new RegExp(`more than the signed ${v2.bytes.length} bytes`));
  });

  it('refuses an endless metadata document at its size cap', async () => {
    repo.override('metadata/timestamp', 'endless');
    await refused(repo.assign(ID, v2), 'TOO_LARGE', /metadata\/timestamp: more than 16384 bytes/);
  });

  it('refuses metadata signed by a revoked key', async () => {
    repo.image.rotateRoot({ timestamp: { keys: [updateKeyOf('timestamp 2')], threshold: 1 } });
    // The holder of the revoked timestamp key signs a timestamp of its own over the current snapshot.
    const honest = decodeDocument('timestamp', repo.image.metadata().timestamp);
    repo.override('metadata/timestamp', signDocument('timestamp', honest.signed, [repo.keys.timestamp]));
    await refused(repo.assign(ID, v2), 'THRESHOLD', /^timestamp: 0 valid signature\(s\) from the timestamp keys of root v2/);
    // With the honest timestamp the rotated root is accepted and v2 installs.
    repo.override('metadata/timestamp', undefined);
    device.offer(repo.assign(ID, v2));
    await device.settle();
    expect(device.runningFile('app.js')).toBe('v2');
  });

  it('refuses director metadata made for another device', async () => {
    const other = repo.assign('device-other', v2);
    await refused(other, 'WRONG_DEVICE', /names device "device-other"/);
  });
});
