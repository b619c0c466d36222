/** The device watch against a real embedded broker, with devices publishing good and malformed reports. */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createFleetBroker, type FleetBroker } from '../../../../fleet/broker/index.ts';
import { connectControllerLink, createDeviceWatch, type ControllerLink, type DeviceWatch } from '../../../../fleet/controller/index.ts';
import { Registry } from '../../../../fleet/registry/index.ts';
import { deviceTopics, issueLoginToken, type UpdateReport } from '../../../../node/fleetproto/index.ts';
import { Enrolment, identity, tryConnect, type Identity } from '../../../support/fleet-mqtt.ts';
import { eventually } from '../../../support/wait.ts';
import { tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

const BROKER = 'watch-test';
const controllerId = identity('watch controller');
const known = identity('watch device known');
const stranger = identity('watch device not in the registry');

let t: TempDir | undefined;
const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  t?.cleanup();
});

async function setup() {
  t = tempDir('watch');
  const registry = Registry.open(join(t.dir, 'registry.sqlite'));
  stops.push(() => registry.close());
  registry.enrol({ id: known.id, publicKey: known.key.publicKey.bytes }, 1);
  const broker: FleetBroker = createFleetBroker({ brokerId: BROKER, devices: new Enrolment(known, stranger), controllers: new Enrolment(controllerId) });
  const { url } = await broker.start();
  stops.push(() => broker.stop());
  const link: ControllerLink = await connectControllerLink({ url, identity: { key: controllerId.key, brokerId: BROKER }, now: Date.now });
  stops.push(() => link.close());
  const updates: [string, UpdateReport][] = [];
  const warnings: object[] = [];
  const watch: DeviceWatch = createDeviceWatch({
    client: link.client,
    devices: registry.devices,
    onUpdate: (id, report) => updates.push([id, report]),
    now: () => 5_000,
    logger: { debug: () => undefined, warn: (obj) => void warnings.push(obj) },
  });
  await watch.start();
  stops.push(() => watch.stop());
  const deviceClient = async (who: Identity): Promise<MqttClient> => {
    const { client, error } = await tryConnect(url, { clientId: who.id, username: who.id, password: issueLoginToken(who.key, { brokerId: BROKER, now: Date.now() }) });
    if (client === undefined) throw error;
    stops.push(() => client.endAsync(true));
    return client;
  };
  return { registry, watch, updates, warnings, deviceClient };
}

describe('device watch', () => {
  it('keeps the registry current from state, online and events, and hands on update reports', async () => {
    const s = await setup();
    const d = await s.deviceClient(known);
    const topics = deviceTopics(known.id);
    await d.publishAsync(topics.online, 'true', { qos: 1, retain: true });
    const update = { status: 'installed', target: 'ame-app-2.0.0-arm64.tar.gz', running: null };
    await d.publishAsync(topics.state, JSON.stringify({ state: 'serving', reasons: [], version: '1.0.0', role: 'temporary', healthy: true, earnings: { servedRequests: 3 }, update }), { qos: 1, retain: true });
    await d.publishAsync(topics.events, JSON.stringify({ type: 'update', data: { ...update, status: 'healthy' } }), { qos: 1 });
    await eventually('both update reports', () => (s.updates.length === 2 ? true : undefined));
    expect(s.updates).toEqual([
      [known.id, update],
      [known.id, { ...update, status: 'healthy' }],
    ]);
    expect(s.registry.devices.get(known.id)).toMatchObject({
      online: true,
      lastSeen: 5_000,
      version: '1.0.0',
      role: 'temporary',
      earnings: { servedRequests: 3 },
      health: { state: 'serving', healthy: true, reasons: [] },
    });
    expect(s.watch.counts()).toEqual({ received: 3, malformed: 0, unknown: 0, updates: 2 });
  });

  it('logs and counts malformed payloads and unknown devices, and goes on', async () => {
    const s = await setup();
    const d = await s.deviceClient(known);
    const topics = deviceTopics(known.id);
    const bad: [string, string | Buffer][] = [
      [topics.state, 'not json'],
      [topics.state, '[1,2]'],
      [topics.state, Buffer.from([0xff, 0xfe, 0x00])],
      [topics.state, JSON.stringify({ update: { status: 'exploded', target: 'x', running: null } })],
      [topics.state, JSON.stringify({ version: 'v'.repeat(500) })],
      [topics.online, 'maybe'],
      [topics.events, JSON.stringify({ type: 'update', data: 'healthy' })],
    ];
    for (const [topic, payload] of bad) await d.publishAsync(topic, payload, { qos: 1 });
    const other = await s.deviceClient(stranger);
    await other.publishAsync(deviceTopics(stranger.id).online, 'true', { qos: 1 });
    await d.publishAsync(topics.online, 'true', { qos: 1 });
    await eventually('every message handled', () => (s.watch.counts().received === bad.length + 2 ? true : undefined));
    expect(s.watch.counts()).toEqual({ received: bad.length + 2, malformed: bad.length, unknown: 1, updates: 0 });
    expect(s.updates).toEqual([]);
    expect(s.registry.devices.get(known.id)?.online).toBe(true);
    expect(s.warnings.map((w) => (w as { code: string }).code)).toEqual([...bad.map(() => expect.any(String)), 'NOT_FOUND']);
    expect(s.warnings.slice(0, 3).map((w) => (w as { code: string }).code)).toEqual(['MALFORMED', 'MALFORMED', 'MALFORMED']);
  });
});
