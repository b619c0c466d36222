/**
 * The same device client against Mosquitto (SPEC §10: any MQTT broker by URL, tested against Mosquitto): retained
 * state and online, the last will of a killed device process, and the command path with its refusals. Login and
 * ACLs on an external broker are the fleet's business (dynamic security), so this Mosquitto is anonymous.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetryClient, type TelemetryClient } from '../../../../device/telemetry/index.ts';
import { decodeCommandResult, deviceTopics, signCommand, type VerifiedCommand } from '../../../../node/fleetproto/index.ts';
import { identity, keyOf, Watcher } from '../../../support/fleet-mqtt.ts';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.ts';
import { spawnDevice, type DeviceProcess } from '../../../support/telemetry-process.ts';

const commandKey = keyOf('mosquitto command key');
const dir = mkdtempSync(join(tmpdir(), 'ame-telemetry-mosquitto-'));
let mosquitto: Mosquitto;
let watcher: Watcher;
let client: TelemetryClient | undefined;
let child: DeviceProcess | undefined;

beforeAll(async () => {
  mosquitto = await startMosquitto();
  watcher = await Watcher.open(mosquitto.url, ['ame/v1/devices/#']);
}, 60_000);

afterAll(async () => {
  await child?.kill();
  await client?.stop();
  await watcher?.close();
  await mosquitto?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('device telemetry over Mosquitto', () => {
  it('publishes retained state and online; a later subscriber gets them', async () => {
    const id = identity('mosquitto state');
    const t = deviceTopics(id.id);
    client = createTelemetryClient({
      url: mosquitto.url,
      brokerId: 'mosquitto',
      nodeKey: id.key,
      commandKey: commandKey.publicKey,
      storePath: join(dir, 'state.sqlite'),
      onCommand: () => undefined,
      onDesired: () => undefined,
    });
    await client.start();
    client.publishState({ agent: 'serving', role: 'device' });
    expect(JSON.parse((await watcher.next(t.state)).text)).toMatchObject({ agent: 'serving', role: 'device' });
    expect((await watcher.next(t.online)).text).toBe('true');
    const late = await Watcher.open(mosquitto.url, [t.state, t.online]);
    try {
      expect(await late.next(t.state)).toMatchObject({ retain: true });
      expect(await late.next(t.online)).toMatchObject({ retain: true, text: 'true' });
    } finally {
      await late.close();
    }
    const mark = watcher.received.length;
    await client.stop();
    client = undefined;
    expect((await watcher.next(t.online, () => true, 10_000, mark)).text).toBe('false');
  });

  it('publishes the last will when the device process is killed', async () => {
    const id = identity('mosquitto will');
    const t = deviceTopics(id.id);
    child = spawnDevice({
      url: mosquitto.url,
      brokerId: 'mosquitto',
      key: id.key,
      commandKey: commandKey.publicKey.bytes,
      storePath: join(dir, 'will.sqlite'),
    });
    await child.line(/^status connected$/);
    await watcher.next(t.online, (m) => m.text === 'true');
    const mark = watcher.received.length;
    await child.kill('SIGKILL');
    child = undefined;
    expect((await watcher.next(t.online, () => true, 10_000, mark)).text).toBe('false');
  });

  it('hands on signed commands and refuses unsigned, forged, stale and replayed ones with reasons', async () => {
    const id = identity('mosquitto commands');
    const t = deviceTopics(id.id);
    const handled: VerifiedCommand[] = [];
    client = createTelemetryClient({
      url: mosquitto.url,
      brokerId: 'mosquitto',
      nodeKey: id.key,
      commandKey: commandKey.publicKey,
      storePath: join(dir, 'commands.sqlite'),
      onCommand: (c) => void handled.push(c),
      onDesired: () => undefined,
    });
    await client.start();
    await watcher.next(t.online, (m) => m.text === 'true');
    const cmd = (seq: number, key = commandKey) =>
      Buffer.from(signCommand(key, { device: id.id, seq, time: Date.now(), name: 'n', args: seq }));
    for (const payload of [Buffer.from('{"name":"reboot"}'), cmd(2, keyOf('forger')), cmd(5), cmd(5), cmd(4), cmd(6)]) {
      await watcher.client.publishAsync(t.cmd, payload, { qos: 1 });
    }
    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).seq === 6);
    const results = watcher.on(t.cmdResult).map((m) => decodeCommandResult(m.payload));
    expect(results.map((r) => [r.seq, r.ok, r.code ?? null])).toEqual([
      [null, false, 'UNSIGNED'],
      [2, false, 'BAD_SIGNATURE'],
      [5, true, null],
      [5, false, 'REPLAY'],
      [4, false, 'STALE'],
      [6, true, null],
    ]);
    expect(handled.map((c) => c.seq)).toEqual([5, 6]);
  });
});
