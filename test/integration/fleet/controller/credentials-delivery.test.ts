/**
 * Devices' own passwords on a real Mosquitto with the dynamic-security plugin, end to end: the controller runs with
 * the external broker and the plugin's admin account; a device (the real telemetry client) enrols on the
 * controller's enrolment broker with a provisioning token, receives its credentials in a signed `mqtt-credentials`
 * command, stores them (mode 0600) and reconnects to Mosquitto with them, where the controller's device watch sees
 * it. Forged, unsigned and malformed credentials commands are refused and change nothing; after a restart the
 * device goes straight to Mosquitto; with its password changed behind its back it falls back to the enrolment
 * broker and gets a new one; revoking it disables its Mosquitto client.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetryClient, type TelemetryClient } from '../../../../device/telemetry/index.ts';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import { createDynsecAdmin, createDynsecLogins } from '../../../../fleet/dynsec/index.ts';
import { decodeCommandResult, deviceTopics, encodeJson, signCommand, type CommandResult } from '../../../../node/fleetproto/index.ts';
import { CapturedLog } from '../../../support/fleet-devices.ts';
import { identity, keyOf, tryConnect } from '../../../support/fleet-mqtt.ts';
import { startDynsecMosquitto } from '../../../support/mosquitto-dynsec.ts';
import { eventually } from '../../../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The controller's Mosquitto account, listening to every device's cmd/result. */
async function resultWatch(url: string, username: string, password: string) {
  const client: MqttClient = connect(url, { clientId: `${username}-test`, username, password, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const results: CommandResult[] = [];
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/cmd/result')) results.push(decodeCommandResult(new Uint8Array(payload)));
  });
  await client.subscribeAsync('ame/v1/devices/+/cmd/result', { qos: 1 });
  return { client, results };
}

describe('mqtt credentials on Mosquitto with dynamic security', () => {
  it('moves an enrolled device to its own Mosquitto login; forged credentials change nothing', async () => {
    const mosquitto = await startDynsecMosquitto();
    cleanup.push(() => mosquitto.stop());
    const dir = mkdtempSync(join(tmpdir(), 'ame-credentials-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const ctl = { username: 'ame-controller', password: randomBytes(18).toString('base64url') };
    const c: Controller = await startController({
      dataDir: join(dir, 'fleet'),
      broker: { url: mosquitto.url, ...ctl },
      dynsec: mosquitto.admin,
      clock: { now: Date.now },
      logger: pino({ level: 'silent' }),
    });
    cleanup.push(() => c.stop());
    expect(c.enrolmentUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(c.enrolmentUrl).not.toBe(mosquitto.url);

    const token = await c.enrolment.issueToken({ lifetimeMs: 60_000, groups: ['edge'] });
    const device = identity('credentials device');
    const deviceDir = join(dir, 'device');
    mkdirSync(deviceDir);
    const log = new CapturedLog();
    const commands: string[] = [];
    const start = (provisioningToken?: string): TelemetryClient => {
      const client = createTelemetryClient({
        url: c.enrolmentUrl!,
        brokerId: 'ame-fleet',
        nodeKey: device.key,
        commandKey: c.commandKey.publicKey,
        storePath: join(deviceDir, 'telemetry.sqlite'),
        onCommand: (command) => void commands.push(command.name),
        onDesired: () => undefined,
        logger: log,
        reconnect: { minDelayMs: 100, maxDelayMs: 1_000 },
        ...(provisioningToken === undefined ? {} : { provisioningToken }),
      });
      return client;
    };
    let client = start(token.text);
    await client.start();
    cleanup.push(() => client.stop());

    // Enrolled on the enrolment broker, then told its password, then online on Mosquitto (seen by the watch there).
    await eventually('the device to confirm its credentials', () => (c.credentials!.confirmed().includes(device.id) ? true : undefined), 30_000);
    expect(c.registry.devices.get(device.id)).toMatchObject({ groups: ['edge'] });
    const file = join(deviceDir, 'mqtt-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { url: string; username: string; password: string };
    expect(stored).toMatchObject({ url: mosquitto.url, username: device.id });
    expect(stored.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    client.publishState({ state: 'serving', version: '1.2.3' });
    await eventually('the device’s state through Mosquitto', () => (c.registry.devices.get(device.id)?.version === '1.2.3' ? true : undefined), 30_000);
    expect(c.registry.devices.get(device.id)?.online).toBe(true);
    expect(commands).toEqual([]);
    expect(log.lines.join('\n')).not.toContain(stored.password);
    // The password is the device's alone on Mosquitto: it logs in there, a wrong one does not.
    expect((await tryConnect(mosquitto.url, { clientId: `${device.id}`, username: device.id, password: 'not-it', clean: true })).error).toBeDefined();

    // Forged (another key), unsigned and malformed-but-signed credentials: each answered with its refusal.
    const watch = await resultWatch(mosquitto.url, ctl.username, ctl.password);
    cleanup.push(() => watch.client.endAsync(true));
    const cmdTopic = deviceTopics(device.id).cmd;
    const evil = { url: 'mqtt://127.0.0.1:1', username: 'evil', password: 'evil-password' };
    // Sequence numbers from the clock, as the controller's: a number ahead of its clock would make its next STALE.
    const seq = Date.now();
    await watch.client.publishAsync(cmdTopic, Buffer.from(signCommand(keyOf('not the command key'), { device: device.id, seq, time: Date.now(), name: 'mqtt-credentials', args: evil })), { qos: 1 });
    await watch.client.publishAsync(cmdTopic, Buffer.from(encodeJson({ name: 'mqtt-credentials', args: evil })), { qos: 1 });
    await watch.client.publishAsync(cmdTopic, Buffer.from(signCommand(c.commandKey, { device: device.id, seq: seq + 1, time: Date.now(), name: 'mqtt-credentials', args: { username: 'x' } })), { qos: 1 });
    await eventually('three refusals', () => (watch.results.length >= 3 ? true : undefined), 15_000);
    expect(watch.results.map((r) => [r.ok, r.code])).toEqual([
      [false, 'BAD_SIGNATURE'],
      [false, 'UNSIGNED'],
      [false, 'FAILED'],
    ]);
    expect(watch.results[2]!.reason).toContain('password');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(stored);
    expect(client.connected).toBe(true);

    // Restarted without a provisioning token, it logs in to Mosquitto straight away with the stored password.
    await client.stop();
    client = start();
    await client.start();
    client.publishState({ state: 'serving', version: '1.2.4' });
    await eventually('the restarted device’s state through Mosquitto', () => (c.registry.devices.get(device.id)?.version === '1.2.4' ? true : undefined), 30_000);

    // Its password changed behind its back: after three refused logins it goes back to the enrolment broker with
    // its token, gets a new password there, and returns to Mosquitto with it.
    await client.stop();
    const admin = createDynsecAdmin({ url: mosquitto.url, ...mosquitto.admin });
    await admin.start();
    cleanup.push(() => admin.stop());
    await createDynsecLogins({ admin, random: randomBytes }).rotatePassword(device.id);
    const refusedBefore = log.containing('Not authorized').length;
    client = start();
    await client.start();
    client.publishState({ state: 'serving', version: '1.2.5' });
    await eventually('the device back on Mosquitto with a new password', () => (c.registry.devices.get(device.id)?.version === '1.2.5' ? true : undefined), 30_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${log.lines.slice(-30).join('\n')}`);
    });
    expect(log.containing('back to the token login')).toHaveLength(1);
    expect(log.containing('Not authorized').length - refusedBefore).toBe(3);
    const renewed = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    expect(renewed.username).toBe(device.id);
    expect(renewed.password).not.toBe(stored.password);

    // Revoking disables its Mosquitto client: the stored password no longer logs in.
    await c.revoke(device.id);
    await client.stop();
    expect((await tryConnect(mosquitto.url, { clientId: device.id, username: device.id, password: renewed.password, clean: true })).error).toBeDefined();
  }, 120_000);
});
