/**
 * Enrolment and revocation on the embedded broker over real connections: a device enrols at its first login with
 * a provisioning token (and its login token proving its key), then logs in with its key alone; wrong, expired and
 * used-up tokens and a key that is not the username's are refused with typed codes, and no token reaches a log;
 * revoking drops a connected device at once and it cannot come back; among 20 devices none can publish under
 * another's id or subscribe to another's cmd or desired; the device's own client refuses unsigned and forged
 * commands.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryClient } from '../../../../device/telemetry/index.ts';
import { createFleetBroker, type FleetBroker } from '../../../../fleet/broker/index.ts';
import {
  createEnrolment,
  createRevoker,
  embeddedBrokerLogins,
  EnrolError,
  formatProvisioningToken,
  MemoryEnrolmentStore,
  type Enrolment as FleetEnrolment,
  type IssuedToken,
} from '../../../../fleet/enrol/index.ts';
import {
  decodeCommandResult,
  deviceTopics,
  encodeToken,
  issueLoginToken,
  signCommand,
  type VerifiedCommand,
} from '../../../../node/fleetproto/index.ts';
import { CapturedLog, SimFleet } from '../../../support/fleet-devices.ts';
import { closed, Enrolment, grantOf, identity, keyOf, tryConnect, Watcher, type Identity } from '../../../support/fleet-mqtt.ts';

const BROKER_ID = 'enrol-test';
const controller = identity('enrol controller');
const commandKey = keyOf('enrol command key');
const dir = mkdtempSync(join(tmpdir(), 'ame-enrol-'));
const log = new CapturedLog();
let now = Date.now();
const clock = { now: () => now };
const store = new MemoryEnrolmentStore();
const enrolment: FleetEnrolment = createEnrolment({ store, clock, random: randomBytes, logger: log });
const revoker = () => createRevoker({ store, logins: [embeddedBrokerLogins(broker)], clock, logger: log });
const issued: IssuedToken[] = [];
let broker: FleetBroker;
let url: string;
let watcher: Watcher;

async function issue(options: Parameters<FleetEnrolment['issueToken']>[0]): Promise<IssuedToken> {
  const token = await enrolment.issueToken(options);
  issued.push(token);
  return token;
}

const loginToken = (who: Identity) => issueLoginToken(who.key, { brokerId: BROKER_ID, now });
const login = (who: Identity, password: string) => tryConnect(url, { clientId: who.id, username: who.id, password });
const firstLogin = (who: Identity, token: { text: string }) => login(who, `${loginToken(who)}.${token.text}`);

beforeAll(async () => {
  broker = createFleetBroker({
    brokerId: BROKER_ID,
    devices: enrolment,
    controllers: new Enrolment(controller),
    enrol: (request) => enrolment.enrol(request),
    clock,
    logger: log,
  });
  url = (await broker.start()).url;
  watcher = await Watcher.open(url, ['ame/v1/devices/#'], { as: controller, brokerId: BROKER_ID });
});

afterAll(async () => {
  await watcher?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
  // Whatever the tests did, no provisioning token (nor its secret) was ever logged, by the broker or the enrolment.
  for (const token of issued) {
    expect(log.containing(token.text)).toEqual([]);
    expect(log.containing(token.text.split('.')[2]!)).toEqual([]);
  }
});

describe('enrolment at first login', () => {
  it('records the key of a device that presents a provisioning token; later it logs in with its key alone', async () => {
    const token = await issue({ lifetimeMs: 60_000, maxUses: 2, groups: ['lab'], tags: ['pi4'] });
    const dev = identity('enrol first');
    expect((await login(dev, loginToken(dev))).error?.message).toMatch(/Not authorized/);

    const first = await firstLogin(dev, token);
    expect(first.error).toBeUndefined();
    await first.client!.endAsync();
    expect(store.device(dev.id)).toMatchObject({ id: dev.id, tokenId: token.id, groups: ['lab'], tags: ['pi4'] });
    expect(store.publicKey(dev.id)).toEqual(dev.key.publicKey.bytes);
    expect(store.token(token.id)?.uses).toBe(1);

    const later = await login(dev, loginToken(dev));
    expect(later.error).toBeUndefined();
    await later.client!.endAsync();
    // Presenting the token again once enrolled uses nothing up.
    const again = await firstLogin(dev, token);
    await again.client!.endAsync();
    expect(store.token(token.id)?.uses).toBe(1);
  });

  it("enrols the device's own client, which sends its configured provisioning token with every login", async () => {
    const token = await issue({ lifetimeMs: 60_000, maxUses: 1, groups: ['field'] });
    const dev = identity('enrol telemetry client');
    const start = async (provisioningToken: string | undefined, name: string) => {
      const client = createTelemetryClient({
        url,
        brokerId: BROKER_ID,
        nodeKey: dev.key,
        commandKey: commandKey.publicKey,
        storePath: join(dir, `${name}.sqlite`),
        onCommand: () => undefined,
        onDesired: () => undefined,
        clock,
        ...(provisioningToken === undefined ? {} : { provisioningToken }),
        reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      });
      await client.start();
      return client;
    };
    // Without the token an unknown device stays outside.
    const outside = await start(undefined, 'outside');
    await new Promise((done) => setTimeout(done, 300));
    expect(outside.connected).toBe(false);
    await outside.stop();
    expect(store.device(dev.id)).toBeUndefined();
    // With it: enrolled at the first login, into the token's groups.
    const client = await start(token.text, 'inside');
    await watcher.next(deviceTopics(dev.id).online, (m) => m.text === 'true');
    expect(client.connected).toBe(true);
    expect(store.device(dev.id)).toMatchObject({ id: dev.id, tokenId: token.id, groups: ['field'] });
    await client.stop();
    // The token is used up, yet the enrolled device still logs in with it configured (the broker ignores it).
    const again = await start(token.text, 'again');
    await watcher.next(deviceTopics(dev.id).online, (m) => m.text === 'true' && again.connected);
    await again.stop();
    expect(store.token(token.id)?.uses).toBe(1);
  });

  it('refuses a wrong, malformed, expired or used-up token with its code, and enrols nothing', async () => {
    const token = await issue({ lifetimeMs: 60_000, maxUses: 1 });
    const wrongSecret = formatProvisioningToken(Buffer.from(token.id, 'base64url'), randomBytes(32));
    const cases: [string, string][] = [
      [wrongSecret, 'UNKNOWN_TOKEN'],
      [formatProvisioningToken(randomBytes(16), randomBytes(32)), 'UNKNOWN_TOKEN'],
      ['ampt1.nope.nope', 'BAD_TOKEN'],
    ];
    for (const [text, code] of cases) {
      const dev = identity(`enrol refused ${code} ${text.length}`);
      const mark = log.lines.length;
      expect((await firstLogin(dev, { text })).error?.message).toMatch(/Not authorized/);
      expect(log.lines.slice(mark).join('\n')).toContain(`"code":"${code}"`);
      expect(store.device(dev.id)).toBeUndefined();
    }

    const winner = identity('enrol used up winner');
    const loser = identity('enrol used up loser');
    (await firstLogin(winner, token)).client!.end(true);
    const mark = log.lines.length;
    expect((await firstLogin(loser, token)).error?.message).toMatch(/Not authorized/);
    expect(log.lines.slice(mark).join('\n')).toContain('"code":"TOKEN_USED_UP"');
    expect(store.device(loser.id)).toBeUndefined();

    const short = await issue({ lifetimeMs: 60_000 });
    const late = identity('enrol expired');
    now += 60_000; // the controller's clock reaches the token's expiry; the login token is fresh
    try {
      const markExpired = log.lines.length;
      expect((await firstLogin(late, short)).error?.message).toMatch(/Not authorized/);
      expect(log.lines.slice(markExpired).join('\n')).toContain('"code":"TOKEN_EXPIRED"');
    } finally {
      now -= 60_000;
    }
    expect(store.device(late.id)).toBeUndefined();
  });

  it('refuses a login token that another key signed for the username: the key must be the device id', async () => {
    const token = await issue({ lifetimeMs: 60_000, maxUses: 5 });
    const victim = identity('enrol victim');
    const thief = identity('enrol thief');
    const forged = encodeToken(thief.key, { device: victim.id, broker: BROKER_ID, time: now, expires: now + 60_000 });
    expect((await login(victim, `${forged}.${token.text}`)).error?.message).toMatch(/Bad username or password/);
    const otherBroker = issueLoginToken(victim.key, { brokerId: 'elsewhere', now });
    expect((await login(victim, `${otherBroker}.${token.text}`)).error?.message).toMatch(/Bad username or password/);
    expect((await tryConnect(url, { clientId: thief.id, username: victim.id, password: `${loginToken(victim)}.${token.text}` })).error?.message).toMatch(
      /Identifier rejected/,
    );
    expect(store.device(victim.id)).toBeUndefined();
    expect(store.token(token.id)?.uses).toBe(0);
  });
});

describe('revocation', () => {
  it('drops the connected device at once; it cannot log in again, not even with a fresh token', async () => {
    const token = await issue({ lifetimeMs: 60_000, maxUses: 2 });
    const dev = identity('enrol revoked');
    const online = deviceTopics(dev.id).online;
    const { client } = await tryConnect(url, {
      clientId: dev.id,
      username: dev.id,
      password: `${loginToken(dev)}.${token.text}`,
      will: { topic: online, payload: Buffer.from('false'), qos: 1, retain: true },
    });
    await client!.publishAsync(online, 'true', { qos: 1, retain: true });
    await watcher.next(online, (m) => m.text === 'true');
    const mark = watcher.received.length;
    const gone = closed(client!);
    await revoker().revoke(dev.id);
    await gone;
    expect(broker.clients().map((c) => c.id)).not.toContain(dev.id);
    expect((await watcher.next(online, (m) => m.text === 'false', 10_000, mark)).text).toBe('false'); // its will

    expect((await login(dev, loginToken(dev))).error?.message).toMatch(/Not authorized/);
    const markRevoked = log.lines.length;
    expect((await firstLogin(dev, token)).error?.message).toMatch(/Not authorized/);
    expect(log.lines.slice(markRevoked).join('\n')).toContain('"code":"REVOKED"');
    await expect(revoker().revoke(identity('never enrolled').id)).rejects.toMatchObject({ code: 'UNKNOWN_DEVICE' });
    await expect(revoker().revoke(dev.id)).resolves.toBeUndefined(); // idempotent
    await expect(enrolment.enrol({ deviceId: dev.id, publicKey: dev.key.publicKey.bytes, provisioningToken: token.text })).rejects.toBeInstanceOf(EnrolError);
  });
});

describe('20 devices, each as itself only', () => {
  it('none publishes under another id nor subscribes to another device’s cmd or desired', async () => {
    const token = await issue({ lifetimeMs: 60_000, maxUses: 20 });
    const devices = Array.from({ length: 20 }, (_, i) => identity(`enrol twenty ${i}`));
    const credentials = (_id: string, i: number) => ({ username: devices[i]!.id, password: `${loginToken(devices[i]!)}.${token.text}` });
    const ids = devices.map((d) => d.id);
    const fleet = await SimFleet.connect({ url, ids, credentials });
    try {
      for (const [i, { client }] of fleet.devices.entries()) {
        const other = deviceTopics(fleet.devices[(i + 1) % 20]!.id);
        for (const filter of [other.cmd, other.desired, 'ame/v1/devices/+/cmd', 'ame/v1/devices/#']) {
          expect(await grantOf(client, filter), filter).toBe(128);
        }
      }
      await Promise.all(
        fleet.devices.map(async ({ client }, i) => {
          const gone = closed(client);
          client.publish(deviceTopics(fleet.devices[(i + 1) % 20]!.id).state, 'forged', { qos: 1 });
          await gone;
        }),
      );
    } finally {
      await fleet.close();
    }
    // Each device's own report still arrives, and after it none of the forged ones had.
    const again = await SimFleet.connect({ url, ids, credentials });
    try {
      await again.report((id) => ({ own: id }));
      for (const id of ids) await watcher.next(deviceTopics(id).state, (m) => m.text.includes(id));
      expect(watcher.received.filter((m) => m.text === 'forged')).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe('commands to an enrolled device', () => {
  it('its own client refuses unsigned and forged commands and runs the signed one', async () => {
    const token = await issue({ lifetimeMs: 60_000 });
    const dev = identity('enrol commands');
    await enrolment.enrol({ deviceId: dev.id, publicKey: dev.key.publicKey.bytes, provisioningToken: token.text });
    const ran: VerifiedCommand[] = [];
    const client = createTelemetryClient({
      url,
      brokerId: BROKER_ID,
      nodeKey: dev.key,
      commandKey: commandKey.publicKey,
      storePath: join(dir, 'commands.sqlite'),
      onCommand: (command) => void ran.push(command),
      onDesired: () => undefined,
      clock,
    });
    await client.start();
    const topics = deviceTopics(dev.id);
    const ctl = await tryConnect(url, { clientId: `${controller.id}/cmd`, username: controller.id, password: loginToken(controller) });
    try {
      await watcher.next(topics.online, (m) => m.text === 'true');
      const results = () => watcher.on(topics.cmdResult).map((m) => decodeCommandResult(m.payload));
      const send = async (payload: Uint8Array | string, count: number) => {
        await ctl.client!.publishAsync(topics.cmd, Buffer.from(payload), { qos: 1 });
        await watcher.next(topics.cmdResult, () => results().length >= count);
      };
      await send(JSON.stringify({ name: 'identify' }), 1);
      await send(signCommand(keyOf('not the fleet'), { device: dev.id, seq: 1, time: now, name: 'identify', args: null }), 2);
      await send(signCommand(commandKey, { device: dev.id, seq: 1, time: now, name: 'identify', args: null }), 3);
      expect(results().map((r) => (r.ok ? 'ok' : r.code))).toEqual(['UNSIGNED', 'BAD_SIGNATURE', 'ok']);
      expect(ran.map((c) => [c.name, c.seq])).toEqual([['identify', 1]]);
    } finally {
      await ctl.client?.endAsync(true);
      await client.stop();
    }
  });
});
