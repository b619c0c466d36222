/**
 * The embedded broker's login check and ACLs over real MQTT connections: only a fresh token for this broker,
 * signed by the key enrolled for the username, logs in; a device publishes only its own reports and subscribes
 * only to its own cmd and desired; a controller identity publishes cmd and desired; revoking drops a device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetBroker, type FleetBroker } from '../../../../fleet/broker/index.ts';
import { deviceTopics, encodeToken, issueLoginToken } from '../../../../node/fleetproto/index.ts';
import { closed, Enrolment, grantOf, identity, tryConnect, Watcher } from '../../../support/fleet-mqtt.ts';

const BROKER_ID = 'broker-test';
const alice = identity('alice');
const bob = identity('bob');
const mallory = identity('mallory'); // never enrolled
const controller = identity('controller');
const devices = new Enrolment(alice, bob);
const controllers = new Enrolment(controller);
let now = Date.now();
let broker: FleetBroker;
let url: string;
let watcher: Watcher;

const token = (who: typeof alice, options: { brokerId?: string; at?: number; lifetimeMs?: number } = {}) =>
  issueLoginToken(who.key, {
    brokerId: options.brokerId ?? BROKER_ID,
    now: options.at ?? now,
    ...(options.lifetimeMs === undefined ? {} : { lifetimeMs: options.lifetimeMs }),
  });

const login = (who: typeof alice, password = token(who), clientId = who.id) =>
  tryConnect(url, { clientId, username: who.id, password });

async function loggedIn(who: typeof alice) {
  const { client, error } = await login(who);
  if (client === undefined) throw new Error(`login of ${who.id} failed: ${error?.message}`);
  return client;
}

beforeAll(async () => {
  broker = createFleetBroker({ brokerId: BROKER_ID, devices, controllers, clock: { now: () => now } });
  url = (await broker.start()).url;
  watcher = await Watcher.open(url, ['ame/v1/devices/#'], { as: controller, brokerId: BROKER_ID });
});

afterAll(async () => {
  await watcher?.close();
  await broker?.stop();
});

describe('broker login', () => {
  it('listens on an ephemeral port and lets an enrolled device in with its token', async () => {
    expect(broker.address.port).toBeGreaterThan(0);
    expect(url).toBe(`mqtt://127.0.0.1:${broker.address.port}`);
    const client = await loggedIn(alice);
    expect(broker.clients()).toContainEqual({ role: 'device', id: alice.id });
    await client.endAsync();
  });

  it('refuses a token made for another broker', async () => {
    const { error } = await login(alice, token(alice, { brokerId: 'another-broker' }));
    expect(error?.message).toMatch(/Bad username or password/);
  });

  it('refuses an expired token by the broker clock', async () => {
    const old = token(alice, { at: now - 10 * 60_000, lifetimeMs: 60_000 });
    expect((await login(alice, old)).error?.message).toMatch(/Bad username or password/);
    const fresh = token(alice, { lifetimeMs: 60_000 });
    now += 60_000; // the broker's clock moves past the fresh token's expiry
    try {
      expect((await login(alice, fresh)).error?.message).toMatch(/Bad username or password/);
    } finally {
      now -= 60_000;
    }
    const { client } = await login(alice, fresh);
    expect(client).toBeDefined();
    await client?.endAsync();
  });

  it('refuses a token signed by another key, and anything derivable from public data', async () => {
    expect((await login(alice, token(bob))).error?.message).toMatch(/Bad username or password/);
    const forged = encodeToken(bob.key, { device: alice.id, broker: BROKER_ID, time: now, expires: now + 60_000 });
    expect((await login(alice, forged)).error?.message).toMatch(/Bad username or password/);
    expect((await login(alice, alice.id)).error?.message).toMatch(/Bad username or password/);
    expect((await tryConnect(url, { clientId: alice.id })).error?.message).toMatch(/Not authorized/);
  });

  it('refuses a device that is not enrolled, and a client id that is not its own', async () => {
    expect((await login(mallory)).error?.message).toMatch(/Not authorized/);
    expect((await login(alice, token(alice), bob.id)).error?.message).toMatch(/Identifier rejected/);
  });
});

describe('broker ACLs', () => {
  it('delivers what a device publishes under its own id', async () => {
    const client = await loggedIn(alice);
    await client.publishAsync(deviceTopics(alice.id).state, '{"agent":"serving"}', { qos: 1, retain: true });
    expect((await watcher.next(deviceTopics(alice.id).state)).text).toBe('{"agent":"serving"}');
    await client.endAsync();
  });

  it('drops a device that publishes under another device id, and the message goes nowhere', async () => {
    const client = await loggedIn(alice);
    const gone = closed(client);
    client.publish(deviceTopics(bob.id).state, '{"agent":"forged"}', { qos: 1 });
    await gone;
    // Bob's own report is delivered; the forged one before it never was.
    const bobClient = await loggedIn(bob);
    await bobClient.publishAsync(deviceTopics(bob.id).state, '{"agent":"marker"}', { qos: 1 });
    await watcher.next(deviceTopics(bob.id).state, (m) => m.text.includes('marker'));
    expect(watcher.on(deviceTopics(bob.id).state).map((m) => m.text)).not.toContain('{"agent":"forged"}');
    await bobClient.endAsync();
  });

  it('drops a device that publishes its own commands or desired state', async () => {
    for (const topic of [deviceTopics(alice.id).cmd, deviceTopics(alice.id).desired, 'ame/v1/other', '$SYS/x']) {
      const client = await loggedIn(alice);
      const gone = closed(client);
      client.publish(topic, 'x', { qos: 1 });
      await gone;
    }
  });

  it("grants a device its own cmd and desired, and refuses another's and any wildcard", async () => {
    const client = await loggedIn(alice);
    const own = await client.subscribeAsync([deviceTopics(alice.id).cmd, deviceTopics(alice.id).desired], { qos: 1 });
    expect(own.map((g) => g.qos)).toEqual([1, 1]);
    const others = [
      deviceTopics(bob.id).cmd,
      deviceTopics(bob.id).desired,
      deviceTopics(alice.id).state,
      'ame/v1/devices/+/cmd',
      `ame/v1/devices/${alice.id}/#`,
      '#',
    ];
    for (const filter of others) expect(await grantOf(client, filter), filter).toBe(128);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('lets a controller send commands and desired state to a device', async () => {
    const device = await loggedIn(alice);
    await device.subscribeAsync(deviceTopics(alice.id).cmd, { qos: 1 });
    const got = new Promise<string>((resolve) => device.once('message', (_t, payload) => resolve(payload.toString())));
    const ctl = await tryConnect(url, {
      clientId: `${controller.id}/ctl`,
      username: controller.id,
      password: token(controller),
    });
    await ctl.client!.publishAsync(deviceTopics(alice.id).cmd, 'signed bytes', { qos: 1 });
    expect(await got).toBe('signed bytes');
    const gone = closed(ctl.client!);
    ctl.client!.publish(deviceTopics(alice.id).state, '{"agent":"forged by controller"}', { qos: 1 });
    await gone;
    await device.endAsync();
  });

  it('publishes the last will of a device whose connection drops, and drops a revoked device at once', async () => {
    const online = deviceTopics(bob.id).online;
    const { client } = await tryConnect(url, {
      clientId: bob.id,
      username: bob.id,
      password: token(bob),
      will: { topic: online, payload: Buffer.from('false'), qos: 1, retain: true },
    });
    await client!.publishAsync(online, 'true', { qos: 1, retain: true });
    await watcher.next(online, (m) => m.text === 'true');
    const mark = watcher.received.length;
    client!.stream.destroy(); // no DISCONNECT: the broker must publish the will
    expect((await watcher.next(online, (m) => m.text === 'false', 10_000, mark)).text).toBe('false');

    const again = await loggedIn(bob);
    devices.revoke(bob.id);
    try {
      const gone = closed(again);
      expect(broker.disconnect(bob.id)).toBe(true);
      await gone;
      expect((await login(bob)).error?.message).toMatch(/Not authorized/);
    } finally {
      devices.enrol(bob);
    }
  });
});
