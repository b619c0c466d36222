/**
 * The offline root ceremony end to end on a real controller folder: keys made off the controller, a draft carried
 * to each holder, the online root key retired at install, and after a restart a device that shipped with root 1
 * walks to root 2 and verifies what the controller now signs with its online keys alone.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import { CommandVerifier, MemorySequenceStore, updateOfferOf } from '../../../../node/fleetproto/index.ts';
import { decodeDocument, initialTrustState, verifyUpdate } from '../../../../node/update/index.ts';
import { ameInProcess } from '../../../support/cli-in-process.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

let t: TempDir | undefined;
let running: Controller[] = [];
afterEach(async () => {
  for (const c of running) await c.stop();
  running = [];
  t?.cleanup();
});

async function ame(cwd: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const run = await ameInProcess(args, { cwd });
  return { code: run.code, out: run.stdout, err: run.stderr };
}

const start = async (dataDir: string) => {
  const c = await startController({ dataDir, broker: 'embedded', clock: { now: Date.now }, logger: pino({ level: 'silent' }), random: labelledBytes('root ceremony'), schedule: () => () => undefined });
  running.push(c);
  return c;
};

const fetchBytes = async (url: string) => {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
};

describe('ame fleet root', () => {
  it('moves a running fleet to offline root keys, and a device that shipped with root 1 follows', async () => {
    t = tempDir('fleet-root');
    const data = join(t.dir, 'fleet');
    const vault = join(t.dir, 'offline');
    mkdirSync(vault);
    let controller = await start(data);
    const release = controller.pushRelease((await appBundle(t.dir, '1.0.0')).bytes);
    const shipped = { imageRoot: controller.releases.initialRoot(), directorRoot: controller.director.initialRoot() };
    await controller.stop();
    running = [];

    // Three offline keys; each repository's root 2 needs two of them and the retiring online root key.
    const publicKeys: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const made = await ame(vault, 'fleet', 'root', 'keygen', '--out', `${name}.key`);
      expect(made.code, made.err).toBe(0);
      publicKeys.push(/public key ([0-9a-f]{64})/.exec(made.out)![1]!);
    }
    expect((await ame(vault, 'fleet', 'root', 'keygen', '--out', 'a.key')).code).not.toBe(0); // never overwritten
    for (const [repository, folder] of [['image', 'repository'], ['director', 'director']] as const) {
      const draft = `${repository}-root-2.cbor`;
      const drafted = await ame(vault, 'fleet', 'root', 'draft', '--repository', repository, ...publicKeys.flatMap((k) => ['--root-key', k]), '--threshold', '2', '--out', draft, '--data', data);
      expect(drafted.code, drafted.err).toBe(0);
      expect(drafted.out).toContain(`${repository} root v2`);
      const status = await ame(vault, 'fleet', 'root', 'status', draft, '--data', data);
      expect([status.code, status.out.trim()]).toEqual([1, "root v2: 0 of 2 signatures from its own root keys, 0 of 1 from root v1's root keys — not complete"]);
      // Two offline holders only: root 1 never agreed, so the root is refused and nothing changes.
      for (const key of ['a.key', 'b.key']) expect((await ame(vault, 'fleet', 'root', 'sign', draft, '--key', key, '--data', data)).code).toBe(0);
      const early = await ame(vault, 'fleet', 'root', 'install', draft, '--data', data);
      expect(early.code).not.toBe(0);
      expect(early.err).toMatch(/the image root is refused: .*0 valid signature\(s\) from the root keys of root v1, threshold 1|the director root is refused: .*0 valid signature\(s\) from the root keys of root v1, threshold 1/);
      expect(existsSync(join(data, folder, 'keys', 'root.key'))).toBe(true);
      const signed = await ame(vault, 'fleet', 'root', 'sign', draft, '--key', join(data, folder, 'keys', 'root.key'), '--data', data);
      expect(signed.out).toContain('— complete');
      const installed = await ame(vault, 'fleet', 'root', 'install', draft, '--data', data);
      expect(installed.code, installed.err).toBe(0);
      expect(existsSync(join(data, folder, 'keys', 'root.key'))).toBe(false);
      expect(readFileSync(join(data, folder, 'roots', '2.cbor'))).toEqual(readFileSync(join(vault, draft)));
    }

    controller = await start(data);
    expect(existsSync(join(data, 'repository', 'keys', 'root.key'))).toBe(false); // not made again
    const device = identity('offline root device').id;
    await controller.director.assign(device, { name: release.target, length: release.length, sha256: decodeDocument('targets', await fetchBytes(`${controller.repositoryUrl}/metadata/targets`)).signed.targets[release.target]!.sha256 });
    const desired = controller.director.current(device)!.payload;
    const offer = updateOfferOf(new CommandVerifier({ deviceId: device, commandKey: controller.commandKey.publicKey, sequences: new MemorySequenceStore() }).open('desired', desired).state)!;
    expect(offer.directorRoots.map((r) => decodeDocument('root', r).signed.version)).toEqual([2]);
    const base = controller.repositoryUrl;
    const verified = verifyUpdate(
      initialTrustState(shipped),
      {
        imageRoots: [await fetchBytes(`${base}/metadata/root/1`), await fetchBytes(`${base}/metadata/root/2`)],
        timestamp: await fetchBytes(`${base}/metadata/timestamp`),
        snapshot: await fetchBytes(`${base}/metadata/snapshot`),
        targets: await fetchBytes(`${base}/metadata/targets`),
        directorRoots: offer.directorRoots,
        director: offer.director,
      },
      { deviceId: device, now: Date.now() },
    );
    expect(verified.target.name).toBe(release.target);
    expect(decodeDocument('root', verified.nextState.imageRoot.bytes).signed.version).toBe(2);
    expect(decodeDocument('root', verified.nextState.directorRoot.bytes).signed.version).toBe(2);
    expect((await fetch(`${base}/metadata/root/3`)).status).toBe(404);
  });
});
