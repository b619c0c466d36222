/**
 * The device's MQTT client against the embedded broker, in process: retained state and online under its own
 * topics, periodic telemetry and events, the command path (accepted ones reach the handler once; unsigned,
 * forged, stale, replayed and misaddressed ones only get a cmd/result), and the outbox carrying messages queued
 * while the broker is down, in order, once it is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTelemetryClient,
  type TelemetryClient,
  type TelemetryClientOptions,
} from '../../../../device/telemetry/index.ts';
import { createFleetBroker, type FleetBroker } from '../../../../fleet/broker/index.ts';
import {
  decodeCommandResult,
  deviceTopics,
  signCommand,
  signDesired,
  type VerifiedCommand,
  type VerifiedDesired,
} from '../../../../node/fleetproto/index.ts';
import { encodeCbor, decodeCbor, type CborMap } from '../../../../node/wire/index.ts';
import { Enrolment, identity, keyOf, Watcher, type Identity } from '../../../support/fleet-mqtt.ts';

const BROKER_ID = 'fleet-link-test';
const controller = identity('link controller');
const commandKey = keyOf('link command key');
const dir = mkdtempSync(join(tmpdir(), 'ame-telemetry-'));
const devices = new Enrolment();
let broker: FleetBroker;
let watcher: Watcher;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  broker = createFleetBroker({ brokerId: BROKER_ID, devices, controllers: new Enrolment(controller) });
  await broker.start();
  watcher = await Watcher.open(broker.address.url, ['ame/v1/devices/#'], { as: controller, brokerId: BROKER_ID });
});

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

afterAll(async () => {
  await watcher?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Device {
  readonly id: Identity;
  readonly client: TelemetryClient;
  readonly commands: VerifiedCommand[];
  readonly desired: VerifiedDesired[];
}

function newDevice(label: string, overrides: Partial<TelemetryClientOptions> = {}): Device {
  const id = identity(label);
  devices.enrol(id);
  const commands: VerifiedCommand[] = [];
  const desired: VerifiedDesired[] = [];
  const client = createTelemetryClient({
    url: broker.address.url,
    brokerId: BROKER_ID,
    nodeKey: id.key,
    commandKey: commandKey.publicKey,
    storePath: join(dir, `${label}.sqlite`),
    reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    onCommand: (c) => {
      commands.push(c);
      return { done: c.name };
    },
    onDesired: (d) => void desired.push(d),
    ...overrides,
  });
  running.push(client);
  return { id, client, commands, desired };
}

/** Polls a condition that a callback sets (here: the client's status callback), up to `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Publishes as the fleet controller (a raw MQTT client logged in with the controller identity). */
const fleetSend = (topic: string, payload: Uint8Array | string, retain = false) =>
  watcher.client.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1, retain });

describe('device telemetry over the embedded broker', () => {
  it('publishes retained state and online under its own id; a later subscriber gets them', async () => {
    const d = newDevice('state device');
    const t = deviceTopics(d.id.id);
    expect(d.client.topics).toEqual(t);
    await d.client.start();
    const msgId = d.client.publishState({ agent: 'serving', version: '0.1.0', role: 'device' });
    const state = await watcher.next(t.state);
    expect(JSON.parse(state.text)).toMatchObject({ agent: 'serving', version: '0.1.0', role: 'device', msgId });
    expect((await watcher.next(t.online)).text).toBe('true');
    expect(d.client.connected).toBe(true);

    const lateLogin = { as: controller, brokerId: BROKER_ID, clientSuffix: 'late' };
    const late = await Watcher.open(broker.address.url, [t.state, t.online], lateLogin);
    try {
      const retained = await late.next(t.state);
      expect(retained.retain).toBe(true);
      expect(JSON.parse(retained.text)).toMatchObject({ agent: 'serving' });
      expect((await late.next(t.online)).retain).toBe(true);
    } finally {
      await late.close();
    }
  });

  it('publishes periodic telemetry and events with increasing msgIds, and online=false on a clean stop', async () => {
    let n = 0;
    const d = newDevice('telemetry device', { telemetry: { intervalMs: 20, sample: () => ({ cpu: ++n }) } });
    const t = deviceTopics(d.id.id);
    await d.client.start();
    d.client.publishEvent('booted', { reason: 'test' });
    const event = JSON.parse((await watcher.next(t.events)).text);
    expect(event).toMatchObject({ type: 'booted', data: { reason: 'test' } });
    await watcher.next(t.telemetry, (m) => JSON.parse(m.text).metrics.cpu >= 3);
    const ids = watcher.on(t.telemetry).map((m) => JSON.parse(m.text).msgId as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const mark = watcher.received.length;
    await d.client.stop();
    expect((await watcher.next(t.online, () => true, 10_000, mark)).text).toBe('false');
  });

  it('hands signed commands to the handler once; refuses unsigned, forged, stale, replayed, misaddressed ones', async () => {
    const d = newDevice('command device');
    const other = identity('someone else');
    const t = deviceTopics(d.id.id);
    await d.client.start();
    await watcher.next(t.online, (m) => m.text === 'true');
    const cmd = (seq: number, key = commandKey, device = d.id.id) =>
      signCommand(key, { device, seq, time: Date.now(), name: `job-${seq}`, args: { seq } });
    const forged = decodeCbor(cmd(3)) as CborMap;
    const badSig = Uint8Array.from(forged['sig'] as Uint8Array);
    badSig[0]! ^= 1;

    await fleetSend(t.cmd, '{"name":"reboot"}'); // unsigned JSON
    await fleetSend(t.cmd, encodeCbor({ ...forged, sig: badSig })); // bad signature
    await fleetSend(t.cmd, cmd(4, keyOf('not the fleet'))); // signed by another key
    await fleetSend(t.cmd, cmd(5, commandKey, other.id)); // for another device
    await fleetSend(t.cmd, cmd(7)); // accepted
    await fleetSend(t.cmd, cmd(7)); // replay
    await fleetSend(t.cmd, cmd(6)); // stale
    await fleetSend(t.cmd, cmd(8)); // accepted

    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).seq === 8);
    const results = watcher.on(t.cmdResult).map((m) => decodeCommandResult(m.payload));
    expect(results.map((r) => [r.seq, r.ok, r.code ?? null])).toEqual([
      [null, false, 'UNSIGNED'],
      [null, false, 'BAD_SIGNATURE'],
      [4, false, 'BAD_SIGNATURE'],
      [5, false, 'WRONG_DEVICE'],
      [7, true, null],
      [7, false, 'REPLAY'],
      [6, false, 'STALE'],
      [8, true, null],
    ]);
    expect(results[4]).toMatchObject({ kind: 'cmd', detail: { done: 'job-7' } });
    expect(results.every((r) => typeof r.reason === 'string' || r.ok)).toBe(true);
    expect(d.commands.map((c) => [c.seq, c.name])).toEqual([
      [7, 'job-7'],
      [8, 'job-8'],
    ]);
  });

  it('gets the commands sent while it was stopped when it starts again (persistent session)', async () => {
    const first = newDevice('away device');
    const t = deviceTopics(first.id.id);
    await first.client.start();
    await watcher.next(t.online, (m) => m.text === 'true');
    const mark = watcher.received.length;
    await first.client.stop();
    await watcher.next(t.online, (m) => m.text === 'false', 10_000, mark);
    await fleetSend(t.cmd, signCommand(commandKey, { device: first.id.id, seq: 1, time: Date.now(), name: 'later', args: null }));

    const second = newDevice('away device');
    await second.client.start();
    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).seq === 1);
    expect(second.commands.map((c) => c.name)).toEqual(['later']);
    expect(first.commands).toEqual([]);
  });

  it('applies retained desired state once, also across reconnects, and answers on cmd/result', async () => {
    const d = newDevice('desired device');
    const t = deviceTopics(d.id.id);
    const desired = (seq: number, led: string) =>
      signDesired(commandKey, { device: d.id.id, seq, time: Date.now(), state: { led } });
    await fleetSend(t.desired, desired(1, 'blue'), true);
    await d.client.start();
    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).kind === 'desired');
    expect(d.desired.map((x) => [x.seq, x.state])).toEqual([[1, { led: 'blue' }]]);

    // Drop the connection: the retained copy arrives again on reconnect and is recognised as applied.
    await until(() => d.client.buffered() === 0); // the answer is acknowledged, so it is not sent twice
    const mark = watcher.received.length;
    expect(broker.disconnect(d.id.id)).toBe(true);
    await watcher.next(t.online, (m) => m.text === 'false', 10_000, mark);
    await watcher.next(t.online, (m) => m.text === 'true', 10_000, mark);
    await fleetSend(t.desired, desired(2, 'red'), true);
    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).seq === 2);
    expect(d.desired.map((x) => x.seq)).toEqual([1, 2]);
    const answers = watcher.on(t.cmdResult).map((m) => decodeCommandResult(m.payload));
    expect(answers.map((r) => [r.kind, r.seq, r.ok])).toEqual([
      ['desired', 1, true],
      ['desired', 2, true],
    ]);
  });

  it('queues what is published while the broker is away and delivers it in order when it is back', async () => {
    const status: string[] = [];
    const d = newDevice('outage device', { onStatus: (s) => status.push(s) });
    const t = deviceTopics(d.id.id);
    await d.client.start();
    await watcher.next(t.online, (m) => m.text === 'true');
    d.client.publishEvent('before', { n: 0 });
    await watcher.next(t.events, (m) => JSON.parse(m.text).type === 'before');
    await until(() => d.client.buffered() === 0); // acknowledged, so it is not sent again after the outage

    // The broker goes away: the device's login is withheld on the replacement until the watcher listens again.
    const port = broker.address.port;
    await watcher.close();
    await broker.stop();
    await until(() => status.at(-1) === 'disconnected');
    expect(d.client.connected).toBe(false);
    for (let i = 1; i <= 20; i++) d.client.publishEvent('outage', { n: i });
    d.client.publishState({ agent: 'degraded' });
    expect(d.client.buffered()).toBe(21);

    const gate = { open: false };
    broker = createFleetBroker({
      brokerId: BROKER_ID,
      port,
      devices: { publicKey: (id) => (gate.open ? devices.publicKey(id) : undefined) },
      controllers: new Enrolment(controller),
    });
    await broker.start();
    watcher = await Watcher.open(broker.address.url, ['ame/v1/devices/#'], { as: controller, brokerId: BROKER_ID });
    gate.open = true;

    const last = await watcher.next(t.state, () => true, 20_000);
    expect(JSON.parse(last.text)).toMatchObject({ agent: 'degraded' });
    const events = watcher.on(t.events).map((m) => JSON.parse(m.text) as { data: { n: number }; msgId: number });
    expect(events.map((e) => e.data.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(events.map((e) => e.msgId)).toEqual([...events.map((e) => e.msgId)].sort((a, b) => a - b));
    expect(status).toEqual(['connected', 'disconnected', 'connected']);
    expect(d.client.buffered()).toBe(0);
  });
});
