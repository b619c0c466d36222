import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectorService, type DirectorService } from '../../../../fleet/controller/index.ts';
import { Registry } from '../../../../fleet/registry/index.ts';
import { ReleaseStore } from '../../../../fleet/repository/index.ts';
import { fromHex } from '../../../../node/crypto/index.ts';
import { CommandVerifier, MemorySequenceStore, updateOfferOf } from '../../../../node/fleetproto/index.ts';
import { decodeDocument, initialTrustState, verifyUpdate, type TrustState } from '../../../../node/update/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

let t: TempDir | undefined;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
  t?.cleanup();
});

const commandKey = identity('director command key').key;
const device = identity('director device');

async function setup() {
  t = tempDir('director');
  let clock = 10_000_000;
  const now = () => clock;
  const registry = Registry.open(join(t.dir, 'registry.sqlite'));
  closers.push(() => registry.close());
  const store = ReleaseStore.open({ dir: join(t.dir, 'repo'), releases: registry.releases, now });
  const v1 = store.pushRelease((await appBundle(t.dir, '1.0.0')).bytes);
  const v2 = store.pushRelease((await appBundle(t.dir, '2.0.0')).bytes);
  const published: { device: string; payload: Uint8Array }[] = [];
  const open = (): DirectorService => {
    const svc = createDirectorService({
      dir: join(t!.dir, 'director'),
      commandKey,
      publisher: { publishDesired: async (d, payload) => void published.push({ device: d, payload }) },
      repositoryUrl: () => 'http://127.0.0.1:9/',
      config: (id) => (id === device.id ? { 'telemetry.intervalMs': 5000 } : undefined),
      now,
      random: labelledBytes('director keys'),
    });
    closers.push(() => svc.close());
    return svc;
  };
  const target = (r: typeof v1) => ({ name: r.target, length: r.length, sha256: fromHex(r.id, 'id', 32) });
  return { store, open, published, v1: target(v1), v2: target(v2), advance: (ms: number) => (clock += ms), now };
}

/** What a device does with one desired state: the envelope under the command key, then the whole Uptane check. */
function deviceCheck(s: Awaited<ReturnType<typeof setup>>, trust: TrustState, payload: Uint8Array) {
  const verifier = new CommandVerifier({ deviceId: device.id, commandKey: commandKey.publicKey, sequences: new MemorySequenceStore() });
  const desired = verifier.open('desired', payload);
  const offer = updateOfferOf(desired.state)!;
  const meta = { imageRoots: [s.store.root(1)!], timestamp: s.store.document('timestamp'), snapshot: s.store.document('snapshot'), targets: s.store.document('targets') };
  const verified = verifyUpdate(trust, { ...meta, directorRoots: offer.directorRoots, director: offer.director }, { deviceId: device.id, now: s.now() });
  return { desired, offer, verified };
}

describe('director service', () => {
  it('publishes a signed desired state with the config and an offer the device verifies end to end', async () => {
    const s = await setup();
    const svc = s.open();
    const document = await svc.assign(device.id, s.v2);
    expect(s.published).toHaveLength(1);
    const trust = initialTrustState({ imageRoot: s.store.initialRoot(), directorRoot: svc.initialRoot() });
    const { desired, offer, verified } = deviceCheck(s, trust, s.published[0]!.payload);
    expect(desired.state).toMatchObject({ 'telemetry.intervalMs': 5000 });
    expect(offer.director).toEqual(document);
    expect(offer.repository).toBe('http://127.0.0.1:9/');
    expect(verified.target.name).toBe(s.v2.name);
    expect(svc.current(device.id)).toMatchObject({ version: 1, seq: 1, target: { name: s.v2.name } });
  });

  it('never reuses a director version or a sequence number after a restart; a revert is a newer document naming the older target', async () => {
    const s = await setup();
    const first = s.open();
    const root = first.initialRoot();
    await first.assign(device.id, s.v2);
    await first.assign(device.id, s.v1);
    let trust = initialTrustState({ imageRoot: s.store.initialRoot(), directorRoot: root });
    trust = deviceCheck(s, trust, s.published[1]!.payload).verified.nextState;
    first.close();

    s.advance(60_000);
    const second = s.open();
    expect(second.initialRoot()).toEqual(root);
    const document = await second.assign(device.id, s.v2);
    expect(decodeDocument('director', document).signed.version).toBe(3);
    const { desired, verified } = deviceCheck(s, trust, s.published[2]!.payload);
    expect(desired.seq).toBe(3);
    expect(verified.target.name).toBe(s.v2.name);
    // The revert before the restart named the older target under a newer version.
    expect(decodeDocument('director', updateOfferOf(new CommandVerifier({ deviceId: device.id, commandKey: commandKey.publicKey, sequences: new MemorySequenceStore() }).open('desired', s.published[1]!.payload).state)!.director).signed).toMatchObject({ version: 2, target: { name: s.v1.name } });
  });

  it('republishes every device’s last desired state as stored', async () => {
    const s = await setup();
    const svc = s.open();
    const other = identity('director other device');
    await svc.assign(device.id, s.v1);
    await svc.assign(other.id, s.v2);
    await svc.assign(device.id, s.v2);
    svc.close();
    const again = s.open();
    const before = s.published.length;
    expect(await again.republish()).toBe(2);
    const republished = s.published.slice(before);
    expect(new Map(republished.map((p) => [p.device, p.payload]))).toEqual(new Map([[device.id, s.published[2]!.payload], [other.id, s.published[1]!.payload]]));
  });

  it('refuses a target name that is not portable, publishing nothing', async () => {
    const s = await setup();
    const svc = s.open();
    await expect(svc.assign(device.id, { ...s.v1, name: '../etc' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(s.published).toHaveLength(0);
    expect(svc.current(device.id)).toBeUndefined();
  });
});
