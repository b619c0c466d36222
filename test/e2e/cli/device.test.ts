/**
 * `ame device` as a separate process joining `ame up` (the quick parameters: promotion after one passed audit):
 * it provisions its identity and wallet, waits for funds, registers, is attached by the managers, serves a
 * client's paid blob stores, is audited, applies for promotion by itself and is promoted — every state printed as
 * it happens — then stops cleanly on SIGTERM and, started again on the same folder, comes back as promoted without
 * registering again. Its fleet (the embedded MQTT broker) sees the promotion in its retained state.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFleetBroker } from '../../../fleet/broker/index.ts';
import { ed25519KeyFromPeerId, toHex } from '../../../node/crypto/index.ts';
import { deviceTopics } from '../../../node/fleetproto/index.ts';
import { ameIn, type CliRun, startDevice, startUp } from '../../support/cli.ts';
import { eventually } from '../../support/wait.ts';
import { Enrolment, identity, keyOf, Watcher } from '../../support/fleet-mqtt.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-device-'));
const net = join(dir, 'net');
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const close of closers.splice(0).reverse()) await close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const ame = ameIn(dir);

const json = <T>(run: CliRun): T => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

describe('ame device', () => {
  it('joins ame up, serves paid requests, is promoted, stops cleanly and resumes promoted', async () => {
    const up = await startUp(
      ['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '1', '--params', 'quick', '--audit-every', '2'],
      children,
    );
    // Its fleet: the embedded broker, which lets in any device whose token its own PeerId's key signed.
    const controller = identity('device e2e controller');
    const broker = createFleetBroker({ brokerId: 'e2e', devices: { publicKey: (id) => (id === controller.id ? undefined : ed25519KeyFromPeerId(id)) }, controllers: new Enrolment(controller) });
    const { url } = await broker.start();
    closers.push(() => broker.stop());
    const watcher = await Watcher.open(url, ['ame/v1/devices/#'], { as: controller, brokerId: 'e2e' });
    closers.push(() => watcher.close());
    const fleet = { AME_MQTT_URL: url, AME_MQTT_BROKER_ID: 'e2e', AME_MQTT_COMMAND_KEY: toHex(keyOf('device e2e command').publicKey.bytes) };

    const data = join(dir, 'device');
    const args = ['--data', data, '--boot', join(dir, 'boot'), '--join', net, '--sim'];
    const first = startDevice(args, children, { HOME: dir, ...fleet });
    const device = JSON.parse((await first.line(/^device (\{.*\})$/))[1]!) as { wallet: string; peerId: string; key: string; dashboard: string };
    await first.line(/^state registering$/);

    // The owner funds the device's wallet: the worker deposit its promotion will freeze, and fees.
    const chain = ['--wallet', join(net, 'investors-wallet.json'), '--manager', up.url];
    expect(json<{ ok: boolean }>(await ame('wallet', 'transfer', device.wallet, '150', ...chain, '--wait', '30', '--json'))).toMatchObject({ ok: true });
    await first.line(/^state serving$/);

    // A client pays it for stored blobs; the managers audit what it logged.
    const node = join(data, 'node');
    const client = join(dir, 'client');
    json(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', node, ...chain, '--client', client, '--json'));
    const stored: string[] = [];
    for (let i = 0; i < 3; i++) {
      const file = join(dir, `blob-${i}`);
      writeFileSync(file, `blob ${i} for the device`);
      stored.push(json<{ address: string }>(await ame('client', 'store', file, '--client', client, '--worker', node, '--json')).address);
    }
    // The device copies what it stores to the Worker Ring (docs/worker.md "Replication"): a ring server that never
    // held the blob serves it from its Unity's replicas.
    const server = join(net, 's0');
    json(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', server, ...chain, '--client', client, '--json'));
    const fetched = await eventually('the blob on the ring', async () => {
      const result = await ame('client', 'fetch', stored[2]!, '--client', client, '--worker', server, '--json');
      return result.code === 0 ? json<{ base64: string }>(result) : undefined;
    });
    expect(Buffer.from(fetched.base64, 'base64').toString()).toBe('blob 2 for the device');
    await first.line(/^state promoted$/, 90_000);
    // The fleet sees it: its retained state under its own topics says promoted.
    const reported = await watcher.next(deviceTopics(device.peerId).state, (m) => m.text.includes('"promoted"'), 20_000);
    expect(JSON.parse(reported.text)).toMatchObject({ state: 'promoted', role: 'server', peerId: device.peerId, wallet: device.wallet });
    // Its dashboard says so from the device's light client (docs/device.md "Dashboard").
    const status = (await (await fetch(`${device.dashboard}/api/status`)).json()) as { state: string; promoted: boolean; wallet: { address: string } };
    expect(status).toMatchObject({ state: 'promoted', promoted: true, wallet: { address: device.wallet } });
    // The ledger agrees: a worker now, attached, its worker deposit frozen, audits passed, requests reported.
    const nodes = ((await (await fetch(`${up.url}/api/nodes`)).json()) as { nodes: Record<string, unknown>[] }).nodes;
    const mine = nodes.find((n) => n['key'] === device.key);
    expect(mine, JSON.stringify(nodes)).toMatchObject({ role: 'worker', status: 'active', account: device.wallet, deposit: '100000000' });
    // Promoted, it is a ring server of the Unity it served, in the same process: its own view says so.
    const slice = await eventually('the device in the ring', async () => {
      const result = await ame('ring', 'slice', '--data', node, '--json');
      if (result.code !== 0) return undefined;
      const view = json<{ unity: { id: string; servers: string[] } }>(result);
      return view.unity.servers.includes(device.peerId) ? view : undefined;
    });
    expect(slice.unity.id).toBe(mine!['unity']);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.output()).toMatch(/^stopped$/m);

    // Same folder: same identity and wallet, registered already, still promoted.
    const second = startDevice(args, children, { HOME: dir, ...fleet });
    const again = JSON.parse((await second.line(/^device (\{.*\})$/))[1]!) as { wallet: string; peerId: string };
    expect({ ...again, dashboard: '' }).toEqual({ ...device, dashboard: '' });
    await second.line(/^state promoted$/);
    expect(second.output()).not.toMatch(/^state provisioning$/m);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });
});
