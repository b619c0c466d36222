/**
 * Telemetry history end to end: a device publishes online, state and telemetry to the controller's embedded broker;
 * the watch hands the figures to the recorder, whose flushes (run by hand, on a clock the test advances) write the
 * registry; `GET api/devices/<id>/history` serves them to a viewer token, pages them, and refuses bad queries with
 * a typed 400.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BROKER_ID, startController, type Controller } from '../../../../fleet/controller/index.ts';
import { deviceTopics, issueLoginToken } from '../../../../node/fleetproto/index.ts';
import { identity, tryConnect } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { eventually } from '../../../support/wait.ts';
import { tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

const MINUTE = 60_000;
let t: TempDir | undefined;
let c: Controller | undefined;
let d: MqttClient | undefined;
afterEach(async () => {
  await d?.endAsync(true);
  d = undefined;
  await c?.stop();
  c = undefined;
  t?.cleanup();
});

interface Sample {
  time: number;
  online: boolean | null;
  state: string | null;
  servedRequests: number | null;
  settled: string | null;
  balance: string | null;
  rssBytes: number | null;
}

async function setup() {
  t = tempDir('history-api');
  let now = Date.now();
  c = await startController({
    dataDir: join(t.dir, 'fleet'),
    broker: 'embedded',
    clock: { now: () => now },
    logger: pino({ level: 'silent' }),
    random: labelledBytes('history api'),
    schedule: () => () => undefined,
    history: { intervalMs: MINUTE, retentionMs: 60 * MINUTE },
  });
  const device = identity('history api device');
  const other = identity('history api device without samples');
  c.registry.enrol({ id: device.id, publicKey: device.key.publicKey.bytes }, now);
  c.registry.enrol({ id: other.id, publicKey: other.key.publicKey.bytes }, now);
  const viewer = c.registry.admins.issueToken({ role: 'viewer', label: 'dash' }, now).token;
  const { client, error } = await tryConnect(c.mqttUrl, { clientId: device.id, username: device.id, password: issueLoginToken(device.key, { brokerId: DEFAULT_BROKER_ID, now: Date.now() }) });
  if (client === undefined) throw error;
  d = client;
  const call = async (path: string, token: string | null = viewer) => {
    const r = await fetch(new URL(path, c!.apiUrl), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  return { c, device, other, call, start: now, advance: (ms: number) => void (now += ms) };
}

describe('telemetry history API', () => {
  it('samples what a device publishes, one per interval, and serves it oldest first to a viewer, in pages', async () => {
    const s = await setup();
    const topics = deviceTopics(s.device.id);
    const received = () => s.c.watch.counts().received;
    const publish = async (topic: string, payload: string, retain = false) => {
      const before = received();
      await d!.publishAsync(topic, payload, { qos: 1, retain });
      await eventually(`${topic} handled`, () => (received() > before ? true : undefined));
    };
    await publish(topics.online, 'true', true);
    await publish(topics.state, JSON.stringify({ state: 'serving', healthy: true, reasons: [], version: '1.0.0', role: 'temporary', earnings: { servedRequests: 0, settled: '0', unsettled: '0' }, balance: '5000000' }), true);
    s.c.history.flush();
    for (let i = 1; i <= 4; i++) {
      s.advance(MINUTE / 2);
      // Two telemetry messages per minute; only the minute's last one is sampled.
      await publish(topics.telemetry, JSON.stringify({ earnings: { servedRequests: i * 10 - 5, settled: '0', unsettled: '0' }, rssBytes: 1_000 }));
      s.c.history.flush();
      s.advance(MINUTE / 2);
      await publish(topics.telemetry, JSON.stringify({ earnings: { servedRequests: i * 10, settled: String(i * 1_000_000), unsettled: '7' }, balance: String(5_000_000 + i), rssBytes: 2_000_000 + i }));
      s.c.history.flush();
    }
    const history = await s.call(`api/devices/${s.device.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body['device']).toBe(s.device.id);
    expect(history.body['next']).toBeNull();
    const samples = history.body['samples'] as Sample[];
    expect(samples.map((x) => [x.time - s.start, x.servedRequests])).toEqual([0, 1, 2, 3, 4].map((i) => [i * MINUTE, i * 10]));
    expect(samples[4]).toMatchObject({ online: true, state: 'serving', healthy: true, version: '1.0.0', settled: '4000000', unsettled: '7', balance: '5000004', rssBytes: 2_000_004 });
    expect(s.c.registry.history.count(s.device.id)).toBe(5);
    // Telemetry never touched the devices table: last seen is still the state report's time.
    expect(s.c.registry.devices.get(s.device.id)?.lastSeen).toBe(s.start);

    const first = await s.call(`api/devices/${s.device.id}/history?limit=2`);
    expect((first.body['samples'] as Sample[]).map((x) => x.servedRequests)).toEqual([0, 10]);
    const rest = await s.call(`api/devices/${s.device.id}/history?since=${String(first.body['next'])}&limit=10`);
    expect((rest.body['samples'] as Sample[]).map((x) => x.servedRequests)).toEqual([20, 30, 40]);
    const recent = await s.call(`api/devices/${s.device.id}/history?since=${s.start + 3 * MINUTE}`);
    expect((recent.body['samples'] as Sample[]).map((x) => x.servedRequests)).toEqual([30, 40]);
    expect(await s.call(`api/devices/${s.other.id}/history`)).toEqual({ status: 200, body: { device: s.other.id, samples: [], next: null } });

    // The device goes offline: the next due sample says so.
    await publish(topics.online, 'false', true);
    s.advance(MINUTE);
    s.c.history.flush();
    expect(((await s.call(`api/devices/${s.device.id}/history?since=${s.start + 5 * MINUTE}`)).body['samples'] as Sample[]).map((x) => x.online)).toEqual([false]);
  });

  it('refuses bad parameters with a typed 400, an unknown device with 404 and a missing token with 401', async () => {
    const s = await setup();
    const path = `api/devices/${s.device.id}/history`;
    for (const query of ['since=-1', 'since=1.5', 'since=soon', 'limit=0', 'limit=10081', 'limit=1e3', 'since=1&since=2', 'until=5']) {
      const r = await s.call(`${path}?${query}`);
      expect([query, r.status, r.body['error']]).toEqual([query, 400, 'BAD_QUERY']);
      expect(String(r.body['message'])).toMatch(/since|limit|parameter/);
    }
    expect((await s.call(`api/devices/${identity('history api nobody').id}/history`)).body).toMatchObject({ error: 'NOT_FOUND' });
    expect((await s.call(`api/devices/${identity('history api nobody').id}/history`)).status).toBe(404);
    expect((await s.call(path, null)).status).toBe(401);
    expect((await s.call(path, 'amet_nope')).body).toMatchObject({ error: 'UNAUTHORIZED' });
  });
});
