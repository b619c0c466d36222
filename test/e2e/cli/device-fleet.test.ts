/**
 * `ame device`'s link to its fleet (SPEC §9 MQTT contract), as a separate process, against the embedded broker
 * (aedes, with token login and per-device ACLs; fleet/broker) and against Mosquitto from Debian (anonymous: the
 * broker-side login there comes with the fleet controller): its state arrives retained under its own topics, a
 * signed `status` command is answered, an unsigned or replayed one is refused with a reason, and when the process
 * is killed its last will marks it offline.
 *
 * The device has no network to join here (its bootstrap peer does not exist), so it stays `connecting`: the link to
 * the fleet does not wait for the chain.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFleetBroker } from '../../../fleet/broker/index.ts';
import { ed25519KeyFromPeerId, peerIdOf, toHex } from '../../../node/crypto/index.ts';
import { decodeCommandResult, deviceTopics, signCommand } from '../../../node/fleetproto/index.ts';
import { encodeGenesis } from '../../../node/ledger/index.ts';
import { startDevice } from '../../support/cli.ts';
import { Enrolment, identity, keyOf, Watcher } from '../../support/fleet-mqtt.ts';
import { testGenesis } from '../../support/ledger-chain.ts';
import { startMosquitto } from '../../support/mosquitto.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-device-fleet-'));
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const close of closers.splice(0).reverse()) await close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const genesis = join(dir, 'genesis.cbor');
writeFileSync(genesis, encodeGenesis(testGenesis()));
const commandKey = keyOf('device fleet command key');
// A manager that is never there: the device keeps connecting.
const nobody = `/ip4/127.0.0.1/tcp/9/p2p/${peerIdOf(keyOf('no manager'))}`;

/** Runs the contract against a broker at `url` (with `brokerId`); `enrol` admits the device once its id is known. */
async function contract(
  label: string,
  url: string,
  brokerId: string,
  watch: (filters: string[], suffix: string) => Promise<Watcher>,
  enrol: (peerId: string) => void,
): Promise<void> {
  const watcher = await watch(['ame/v1/devices/#'], 'watch');
  closers.push(() => watcher.close());
  const data = join(dir, label);
  const device = startDevice(['--data', data, '--boot', join(dir, 'boot'), '--genesis', genesis, '--sim'], children, {
    HOME: dir,
    AME_NETWORK_BOOTSTRAP: nobody,
    AME_NETWORK_LISTEN: '/ip4/127.0.0.1/tcp/0',
    AME_DASHBOARD_PORT: '0',
    AME_MQTT_URL: url,
    AME_MQTT_BROKER_ID: brokerId,
    AME_MQTT_COMMAND_KEY: toHex(commandKey.publicKey.bytes),
    AME_MQTT_TELEMETRY_MS: '1000',
  });
  const { peerId } = JSON.parse((await device.line(/^device (\{.*\})$/))[1]!) as { peerId: string };
  enrol(peerId);
  const t = deviceTopics(peerId);
  const state = await watcher.next(t.state, (m) => m.retain || m.text.includes('"state"'), 30_000);
  expect(JSON.parse(state.text)).toMatchObject({ state: 'connecting', peerId, version: expect.any(String) });
  expect((await watcher.next(t.online, (m) => m.text === 'true', 30_000)).text).toBe('true');
  expect(JSON.parse((await watcher.next(t.telemetry, () => true, 10_000)).text)).toMatchObject({ metrics: { state: 'connecting', rssBytes: expect.any(Number) } });
  // A later subscriber gets the state: it is retained.
  const late = await watch([t.state], 'late');
  try {
    expect(await late.next(t.state)).toMatchObject({ retain: true });
  } finally {
    await late.close();
  }

  const status = Buffer.from(signCommand(commandKey, { device: peerId, seq: 7, time: Date.now(), name: 'status', args: null }));
  for (const payload of [Buffer.from('{"name":"reboot"}'), status, status]) await watcher.client.publishAsync(t.cmd, payload, { qos: 1 });
  await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).code === 'REPLAY', 20_000);
  const results = watcher.on(t.cmdResult).map((m) => decodeCommandResult(m.payload));
  expect(results.map((r) => [r.seq, r.ok, r.code ?? null])).toEqual([
    [null, false, 'UNSIGNED'],
    [7, true, null],
    [7, false, 'REPLAY'],
  ]);
  expect(results[1]!.detail).toMatchObject({ state: 'connecting', peerId });

  const mark = watcher.received.length;
  device.child.kill('SIGKILL');
  await device.exit;
  expect((await watcher.next(t.online, () => true, 30_000, mark)).text).toBe('false');
}

describe('ame device and its fleet', () => {
  it('reports to the embedded broker under its own topics and obeys only signed commands', async () => {
    const controller = identity('device fleet controller');
    const devices = new Enrolment();
    const broker = createFleetBroker({ brokerId: 'e2e-fleet', devices, controllers: new Enrolment(controller) });
    const { url } = await broker.start();
    closers.push(() => broker.stop());
    const watch = (filters: string[], suffix: string) => Watcher.open(url, filters, { as: controller, brokerId: 'e2e-fleet', clientSuffix: suffix });
    // Enrolment records the key the device's PeerId names (a fleet reads it from the device's enrolment).
    await contract('aedes', url, 'e2e-fleet', watch, (peerId) => devices.keys.set(peerId, ed25519KeyFromPeerId(peerId)));
  });

  it('does the same through Mosquitto', async () => {
    const mosquitto = await startMosquitto();
    closers.push(() => mosquitto.stop());
    await contract('mosquitto', mosquitto.url, 'mosquitto', (filters) => Watcher.open(mosquitto.url, filters), () => undefined);
  });
});
