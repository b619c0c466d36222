/**
 * Per-device logins and ACLs on Mosquitto through its dynamic-security plugin, over real connections: the admin
 * client provisions each device with its own password and role; a device logs in only as itself, publishes only
 * its own reports and subscribes only to its own cmd and desired; a command reaches the device, whose check
 * refuses unsigned and forged ones; revoking disables the client at once; the plugin's refusals are typed.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynsecAdmin,
  createDynsecLogins,
  DynsecError,
  RESPONSE_TOPIC,
  type DynsecAdmin,
  type DynsecLogins,
} from '../../../../fleet/dynsec/index.ts';
import { createEnrolment, createRevoker, MemoryEnrolmentStore } from '../../../../fleet/enrol/index.ts';
import {
  CommandVerifier,
  deviceTopics,
  FleetProtoError,
  MemorySequenceStore,
  signCommand,
} from '../../../../node/fleetproto/index.ts';
import { CapturedLog } from '../../../support/fleet-devices.ts';
import { closed, grantOf, identity, keyOf, tryConnect } from '../../../support/fleet-mqtt.ts';
import { startDynsecMosquitto, type DynsecMosquitto } from '../../../support/mosquitto-dynsec.ts';

const devices = Array.from({ length: 10 }, (_, i) => identity(`dynsec device ${i}`));
const [a, b] = [devices[0]!, devices[1]!];
const commandKey = keyOf('dynsec command key');
const log = new CapturedLog();
const CONTROLLER = 'fleet-controller';
const controllerPassword = randomBytes(18).toString('base64url');
let mosquitto: DynsecMosquitto;
let admin: DynsecAdmin;
let logins: DynsecLogins;
let passwords: Map<string, string>;
let controller: MqttClient;
const received: { topic: string; text: string }[] = [];

const login = (who: { id: string }, password = passwords.get(who.id)!, clientId = who.id) =>
  tryConnect(mosquitto.url, { clientId, username: who.id, password });

async function loggedIn(who: { id: string }): Promise<MqttClient> {
  const { client, error } = await login(who);
  if (client === undefined) throw new Error(`login of ${who.id} failed: ${error?.message}`);
  return client;
}

/** Waits until the controller received a message on `topic` whose text satisfies `match`. */
async function controllerSees(topic: string, match: (text: string) => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!received.some((m) => m.topic === topic && match(m.text))) {
    if (Date.now() > deadline) throw new Error(`controller never saw a matching message on ${topic}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  mosquitto = await startDynsecMosquitto();
  admin = createDynsecAdmin({ url: mosquitto.url, ...mosquitto.admin, logger: log });
  await admin.start();
  logins = createDynsecLogins({ admin, random: randomBytes, batchSize: 6, logger: log });
  passwords = await logins.provision(devices.map((d) => d.id));
  await logins.addController(CONTROLLER, controllerPassword);
  controller = (await tryConnect(mosquitto.url, { clientId: CONTROLLER, username: CONTROLLER, password: controllerPassword })).client!;
  controller.on('message', (topic, payload) => received.push({ topic, text: payload.toString('utf8') }));
  await controller.subscribeAsync('ame/v1/devices/#', { qos: 1 });
}, 60_000);

afterAll(async () => {
  await controller?.endAsync(true);
  await admin?.stop();
  await mosquitto?.stop();
  for (const password of passwords?.values() ?? []) expect(log.containing(password)).toEqual([]);
});

describe('dynamic-security logins', () => {
  it('gives each device its own password: it logs in only as itself, with its own client id', async () => {
    expect(new Set(passwords.values()).size).toBe(devices.length);
    const own = await loggedIn(a);
    await own.endAsync();
    expect((await login(a, 'wrong')).error?.message).toMatch(/Not authorized/);
    expect((await login(a, passwords.get(b.id)!)).error?.message).toMatch(/Not authorized/);
    expect((await login(a, passwords.get(a.id)!, b.id)).error?.message).toMatch(/Not authorized/);
    expect((await tryConnect(mosquitto.url, { clientId: 'anonymous' })).error?.message).toMatch(/Not authorized/);
  });

  it('refuses to provision a device twice, naming the plugin’s reason', async () => {
    const error = await logins.provision([a.id]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynsecError);
    expect(error).toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/already exists/) });
    await expect(logins.provision(['not a device id'])).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('the admin client ignores answers that are not the plugin’s, and keeps working', async () => {
    const other = (await tryConnect(mosquitto.url, { username: 'admin', password: mosquitto.admin.password })).client!;
    try {
      const junk = ['not json', '{"responses":7}', '{"responses":[null,{"correlationData":5},{"command":"x"}]}', '\u0000'];
      for (const payload of junk) await other.publishAsync(RESPONSE_TOPIC, payload, { qos: 1 });
      const [answer] = await admin.execute([{ command: 'getClient', username: a.id }]);
      expect(answer).toMatchObject({ command: 'getClient', data: { client: { username: a.id } } });
      expect(answer!.error).toBeUndefined();
    } finally {
      await other.endAsync();
    }
  });

  it('an admin with a wrong password cannot start', async () => {
    const wrong = createDynsecAdmin({ url: mosquitto.url, username: 'admin', password: 'wrong' });
    await expect(wrong.start()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    await expect(wrong.execute([{ command: 'listClients' }])).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('dynamic-security ACLs', () => {
  it('a device publishes only its own reports: not under another id, not its own cmd or desired', async () => {
    const client = await loggedIn(a);
    try {
      // MQTT 3.1.1 has no refusal for a PUBLISH: Mosquitto acknowledges and drops it.
      await client.publishAsync(deviceTopics(b.id).state, 'forged', { qos: 1 });
      await client.publishAsync(deviceTopics(a.id).cmd, 'self-command', { qos: 1 });
      await client.publishAsync(deviceTopics(a.id).desired, 'self-desired', { qos: 1 });
      await client.publishAsync(deviceTopics(a.id).state, 'marker', { qos: 1 });
      await controllerSees(deviceTopics(a.id).state, (text) => text === 'marker');
      expect(received.filter((m) => ['forged', 'self-command', 'self-desired'].includes(m.text))).toEqual([]);
    } finally {
      await client.endAsync();
    }
  });

  it('a device subscribes only to its own cmd and desired, by literal filter', async () => {
    const client = await loggedIn(a);
    try {
      expect(await grantOf(client, deviceTopics(a.id).cmd)).toBe(1);
      expect(await grantOf(client, deviceTopics(a.id).desired)).toBe(1);
      const others = [
        deviceTopics(b.id).cmd,
        deviceTopics(b.id).desired,
        deviceTopics(a.id).state,
        'ame/v1/devices/+/cmd',
        `ame/v1/devices/${a.id}/#`,
        '#',
      ];
      for (const filter of others) expect(await grantOf(client, filter), filter).toBe(128);
    } finally {
      await client.endAsync();
    }
  });

  it('a command reaches its device only, whose check refuses unsigned and forged ones', async () => {
    const [deviceA, deviceB] = [await loggedIn(a), await loggedIn(b)];
    const got: { device: string; payload: Buffer }[] = [];
    deviceA.on('message', (_t, payload) => got.push({ device: 'a', payload }));
    deviceB.on('message', (_t, payload) => got.push({ device: 'b', payload }));
    try {
      await deviceA.subscribeAsync(deviceTopics(a.id).cmd, { qos: 1 });
      await deviceB.subscribeAsync(deviceTopics(b.id).cmd, { qos: 1 });
      const cmd = deviceTopics(a.id).cmd;
      const sign = (key: typeof commandKey) => signCommand(key, { device: a.id, seq: 1, time: Date.now(), name: 'identify', args: null });
      for (const payload of [Buffer.from('{"name":"identify"}'), sign(keyOf('not the fleet')), sign(commandKey)]) {
        await controller.publishAsync(cmd, Buffer.from(payload), { qos: 1 });
      }
      const deadline = Date.now() + 10_000;
      while (got.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(got.map((m) => m.device)).toEqual(['a', 'a', 'a']);
      const verifier = new CommandVerifier({ deviceId: a.id, commandKey: commandKey.publicKey, sequences: new MemorySequenceStore() });
      const outcomes = [];
      for (const { payload } of got) {
        outcomes.push(
          await verifier.accept('cmd', new Uint8Array(payload)).then(
            (c) => `ok ${c.name}`,
            (e: unknown) => (e instanceof FleetProtoError ? e.code : 'untyped'),
          ),
        );
      }
      expect(outcomes).toEqual(['UNSIGNED', 'BAD_SIGNATURE', 'ok identify']);
    } finally {
      await deviceA.endAsync();
      await deviceB.endAsync();
    }
  });
});

describe('dynamic-security revocation', () => {
  it('revoking disables the client at once; enabling restores it; removing deletes it', async () => {
    const store = new MemoryEnrolmentStore();
    const clock = { now: () => Date.now() };
    const enrolment = createEnrolment({ store, clock, random: randomBytes });
    const token = await enrolment.issueToken({ lifetimeMs: 60_000 });
    const dev = devices[2]!;
    await enrolment.enrol({ deviceId: dev.id, publicKey: dev.key.publicKey.bytes, provisioningToken: token.text });
    const client = await loggedIn(dev);
    const gone = closed(client);
    await createRevoker({ store, logins: [logins], clock }).revoke(dev.id);
    await gone;
    expect((await login(dev)).error?.message).toMatch(/Not authorized/);
    await logins.enable(dev.id);
    (await loggedIn(dev)).end(true);
    const rotated = await logins.rotatePassword(dev.id);
    expect((await login(dev)).error?.message).toMatch(/Not authorized/);
    (await login(dev, rotated)).client!.end(true);
    await logins.remove(dev.id);
    expect((await login(dev, rotated)).error?.message).toMatch(/Not authorized/);
    await expect(logins.disable(dev.id)).rejects.toMatchObject({ code: 'REFUSED' });
  });
});
