/** The controller's lifecycle: its files and keys, enrolment at first login, a full stop, an external broker. */
import { statSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import { deviceTopics, issueLoginToken, updateOfferOf, CommandVerifier, MemorySequenceStore } from '../../../../node/fleetproto/index.ts';
import { decodeDocument } from '../../../../node/update/index.ts';
import { identity, tryConnect, Watcher } from '../../../support/fleet-mqtt.ts';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { eventually } from '../../../support/wait.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

let t: TempDir | undefined;
let running: Controller[] = [];
let mosquitto: Mosquitto | undefined;
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  await mosquitto?.stop();
  mosquitto = undefined;
  t?.cleanup();
});

const start = async (dataDir: string, broker: Parameters<typeof startController>[0]['broker'] = 'embedded') => {
  const c = await startController({ dataDir, broker, clock: { now: Date.now }, logger: pino({ level: 'silent' }), random: labelledBytes('controller test'), schedule: () => () => undefined });
  running.push(c);
  return c;
};

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('controller', () => {
  it('keeps its keys in 0600 files and the same identities across a restart; stop closes every port', async () => {
    t = tempDir('controller-life');
    const dir = join(t.dir, 'fleet');
    const c = await start(dir);
    for (const file of ['command.key', 'controller.key', 'repository/keys/timestamp.key', 'director/keys/targets.key']) {
      expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
    }
    const ports = [Number(new URL(c.mqttUrl).port), Number(new URL(c.repositoryUrl).port)];
    const { commandKey, controllerId } = c;
    const root = c.releases.initialRoot();
    await c.stop();
    running = [];
    for (const port of ports) expect(await refused(port), `port ${port}`).toBe(true);
    const again = await start(dir);
    expect(again.commandKey.publicKey.bytes).toEqual(commandKey.publicKey.bytes);
    expect(again.controllerId).toBe(controllerId);
    expect(again.releases.initialRoot()).toEqual(root);
  });

  it('enrols a device at its first login with a provisioning token, with the token’s groups', async () => {
    t = tempDir('controller-enrol');
    const c = await start(join(t.dir, 'fleet'));
    const token = await c.enrolment.issueToken({ lifetimeMs: 60_000, groups: ['canary'] });
    const dev = identity('controller enrol device');
    const stranger = identity('controller enrol stranger');
    const login = (who: typeof dev, suffix = '') => tryConnect(c.mqttUrl, { clientId: who.id, username: who.id, password: `${issueLoginToken(who.key, { brokerId: 'ame-fleet', now: Date.now() })}${suffix}` });
    expect((await login(stranger)).error?.message).toMatch(/Bad username or password|Not authorized/);
    const first = await login(dev, `.${token.text}`);
    expect(first.error).toBeUndefined();
    await first.client!.endAsync(true);
    expect(c.registry.devices.get(dev.id)).toMatchObject({ groups: ['canary'] });
    const later = await login(dev);
    expect(later.error).toBeUndefined();
    const dropped = new Promise<void>((resolve) => later.client!.once('close', () => resolve()));
    await c.revoke(dev.id);
    await dropped; // revoking drops the live connection at once
    expect((await login(dev)).error?.message).toMatch(/Bad username or password|Not authorized/);
  });

  it('works through an external broker by URL (Mosquitto): assignments arrive, reports come back', async () => {
    t = tempDir('controller-external');
    mosquitto = await startMosquitto();
    const c = await start(join(t.dir, 'fleet'), { url: mosquitto.url });
    const dev = identity('controller external device');
    c.registry.enrol({ id: dev.id, publicKey: dev.key.publicKey.bytes }, Date.now());
    const release = c.pushRelease((await appBundle(t.dir, '3.0.0')).bytes);
    const watcher = await Watcher.open(mosquitto.url, [deviceTopics(dev.id).desired]);
    await c.director.assign(dev.id, { name: release.target, length: release.length, sha256: Buffer.from(release.id, 'hex') });
    const desired = await watcher.next(deviceTopics(dev.id).desired);
    const verified = new CommandVerifier({ deviceId: dev.id, commandKey: c.commandKey.publicKey, sequences: new MemorySequenceStore() }).open('desired', new Uint8Array(desired.payload));
    const offer = updateOfferOf(verified.state)!;
    expect(decodeDocument('director', offer.director).signed.target.name).toBe(release.target);
    expect(offer.repository).toBe(c.repositoryUrl);
    await watcher.client.publishAsync(deviceTopics(dev.id).state, JSON.stringify({ version: '3.0.0', role: 'temporary' }), { qos: 1 });
    await eventually('the report in the registry', () => (c.registry.devices.get(dev.id)?.version === '3.0.0' ? true : undefined), 10_000);
    await watcher.close();
  });
});
