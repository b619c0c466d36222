/**
 * `npm run bench -- fleet`: the fleet controller as its own process (`ame fleet run`, embedded broker) holding
 * DEVICES simulated devices — each its own MQTT connection and login token, answering update offers and commands as
 * the device's contract says (test/support/fleet-sim-devices.ts) — from this process:
 * - `controller_rss_mb` and, as the baseline, `bare_broker_rss_mb`: the fleet's broker alone (fleet-broker-child.ts)
 *   holding the same connections, in its own process, in the same run;
 * - `rollout_1000_s`: a release pushed and rolled out through the API (canary group → 10 % → all, 200 at once) until
 *   every device reported it healthy and the rollout is done;
 * - `command_rtt_p50_ms` / `_p99_ms`: a command signed by the fleet's command key, published by a controller
 *   identity, to the device's `cmd/result` answer; baseline `unsigned_rtt_*`: the same round trip for an unsigned
 *   command, which the device refuses without a signature check.
 * AME_BENCH_DEVICES sets the fleet's size (default 1,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type MqttClient } from 'mqtt';
import { Registry } from '../../fleet/registry/index.ts';
import { Ed25519KeyPair, fromHex, peerIdOf } from '../../node/crypto/index.ts';
import { deviceTopics, issueLoginToken, signCommand } from '../../node/fleetproto/index.ts';
import { buildBundle } from '../../node/update/index.ts';
import { inPool } from '../support/fleet-devices.ts';
import { identity } from '../support/fleet-mqtt.ts';
import { SimUpdateDevice } from '../support/fleet-sim-devices.ts';
import { type Bench, ratio } from './harness.ts';
import { percentile } from './stats.ts';

const DEVICES = Number(process.env['AME_BENCH_DEVICES'] ?? 1000);
const COMMANDS = 300;
const CANARY = Math.max(1, Math.round(DEVICES / 100));
const log = (line: string) => void process.stdout.write(`${line}\n`);
const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function spawnUntil(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${args.join(' ')}\n${out}`)), 60_000);
    const look = (d: Buffer) => {
      out += d.toString();
      const match = pattern.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${args.join(' ')}\n${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function connectAll(devices: SimUpdateDevice[], url: string): Promise<number> {
  const t = performance.now();
  await inPool(devices, 50, (d) => d.connect(url, 'ame-fleet'));
  return (performance.now() - t) / 1000;
}

/** Round trips of commands to random devices, one at a time: signed (the real path) or not (the baseline). */
async function commandRtts(client: MqttClient, ids: readonly string[], commandKey: Ed25519KeyPair | undefined): Promise<number[]> {
  const waiting = new Map<string, () => void>();
  client.on('message', (topic) => waiting.get(topic)?.());
  await client.subscribeAsync('ame/v1/devices/+/cmd/result', { qos: 1 });
  const rtts: number[] = [];
  for (let i = 0; i < COMMANDS; i++) {
    const id = ids[(i * 7919) % ids.length]!;
    const topics = deviceTopics(id);
    const payload = commandKey === undefined ? new Uint8Array([0xa0]) : signCommand(commandKey, { device: id, seq: Date.now() * 1000 + i, time: Date.now(), name: 'status', args: null });
    const t = performance.now();
    const answered = new Promise<void>((resolve) => waiting.set(topics.cmdResult, resolve));
    await client.publishAsync(topics.cmd, Buffer.from(payload), { qos: 1 });
    await answered;
    rtts.push(performance.now() - t);
    waiting.delete(topics.cmdResult);
  }
  await client.unsubscribeAsync('ame/v1/devices/+/cmd/result');
  client.removeAllListeners('message');
  return rtts;
}

async function controllerClient(url: string, key: Ed25519KeyPair): Promise<MqttClient> {
  const id = peerIdOf(key);
  const client = connect(url, { protocolVersion: 4, clientId: `${id}/bench`, username: id, password: issueLoginToken(key, { brokerId: 'ame-fleet', now: Date.now() }), reconnectPeriod: 0 });
  client.on('error', () => undefined);
  client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('close', () => reject(new Error('the bench controller identity was refused')));
  });
  return client;
}

const keyFile = (path: string) => Ed25519KeyPair.fromSeed(fromHex(readFileSync(path, 'utf8').trim(), 'seed', 32));

export const bench: Bench = {
  name: 'fleet',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ame-fleet-bench-'));
    const children: ChildProcess[] = [];
    let devices: SimUpdateDevice[] = [];
    try {
      const ids = Array.from({ length: DEVICES }, (_, i) => identity(`fleet bench device ${i}`));

      // Baseline: the broker alone holding the fleet.
      const bare = await spawnUntil([join(fileURLToPath(new URL('.', import.meta.url)), 'fleet-broker-child.ts')], /^port (\d+)$/m);
      children.push(bare.child);
      const throwaway = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(7));
      devices = ids.map((id) => new SimUpdateDevice(id, throwaway, () => ['idle']));
      await connectAll(devices, `mqtt://127.0.0.1:${bare.match[1]}`);
      await new Promise((done) => setTimeout(done, 2_000));
      const bareRss = rssMb(bare.child.pid!);
      log(`bare broker: ${DEVICES} devices, ${bareRss.toFixed(0)} MB`);
      await Promise.all(devices.map((d) => d.close()));
      await stop(bare.child);

      // The controller, its registry holding the fleet (CANARY devices in group canary).
      const fleet = join(dir, 'fleet');
      mkdirSync(fleet, { recursive: true, mode: 0o700 });
      const registry = Registry.open(join(fleet, 'registry.sqlite'));
      ids.forEach((id, i) => registry.enrol({ id: id.id, publicKey: id.key.publicKey.bytes, groups: i < CANARY ? ['canary'] : [] }, Date.now()));
      registry.close();
      const started = await spawnUntil([main, 'fleet', 'run', '--data', fleet, '--log-level', 'warn'], /^ready$/m);
      children.push(started.child);
      const controllerPid = started.child.pid!;
      const api = JSON.parse(readFileSync(join(fleet, 'api.json'), 'utf8')) as { url: string; token: string };
      const brokerUrl = /^broker (mqtt:\S+)/m.exec(started.match.input)![1]!;
      const commandKey = keyFile(join(fleet, 'command.key'));
      devices = ids.map((id) => new SimUpdateDevice(id, commandKey, () => ['downloading', 'installed', 'healthy']));
      const connectS = await connectAll(devices, brokerUrl);
      await new Promise((done) => setTimeout(done, 2_000));
      const controllerRss = rssMb(controllerPid);
      log(`controller: ${DEVICES} devices connected in ${connectS.toFixed(1)} s, ${controllerRss.toFixed(0)} MB (bare broker ${bareRss.toFixed(0)} MB)`);

      // A release rolled out to every device through the API.
      const call = async (method: string, path: string, body?: Uint8Array | string) => {
        const r = await fetch(new URL(path, api.url), { method, headers: { Authorization: `Bearer ${api.token}` }, ...(body === undefined ? {} : { body }) });
        if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${await r.text()}`);
        return (await r.json()) as Record<string, unknown>;
      };
      const releaseIds: string[] = [];
      for (const version of ['1.0.0', '2.0.0']) {
        const app = join(dir, `app-${version}`);
        mkdirSync(app);
        writeFileSync(join(app, 'version.txt'), version);
        releaseIds.push(String((await call('POST', 'api/releases', (await buildBundle({ dir: app, name: 'ame', version, arch: 'x64' })).bytes))['id']));
      }
      const plan = { release: releaseIds[1], previousRelease: releaseIds[0], phases: [{ name: 'canary', group: 'canary' }, { name: '10%', percent: 10 }, { name: 'all' }], successThreshold: 1, failureBudget: 0, concurrency: 200, ratePerMinute: 1_000_000, timeoutMs: 600_000 };
      const t0 = performance.now();
      await call('POST', 'api/rollouts', JSON.stringify({ id: 'bench', plan }));
      for (;;) {
        const progress = await call('GET', 'api/rollouts/bench');
        if (progress['state'] === 'done') break;
        if (progress['state'] === 'aborted') throw new Error(`the bench rollout aborted: ${JSON.stringify(progress['abort'])}`);
        await new Promise((done) => setTimeout(done, 100));
      }
      const rolloutS = (performance.now() - t0) / 1000;
      const offered = devices.filter((d) => d.offers.length === 1).length;
      log(`rollout to ${DEVICES} devices: ${rolloutS.toFixed(1)} s (${offered} offered once)`);
      // The watch's telemetry history sampled the fleet meanwhile, in batched flushes (docs/fleet.md "Telemetry history").
      const sampled = (await call('GET', `api/devices/${ids[0]!.id}/history`))['samples'] as unknown[];
      if (sampled.length === 0) throw new Error('the telemetry history recorded no sample of a device during the rollout');
      log(`telemetry history: ${sampled.length} samples of one device`);

      // Command round trips through the controller's broker, as a controller identity.
      const client = await controllerClient(brokerUrl, keyFile(join(fleet, 'controller.key')));
      const unsigned = await commandRtts(client, ids.map((i) => i.id), undefined);
      const signed = await commandRtts(client, ids.map((i) => i.id), commandKey);
      await client.endAsync(true);
      log(`command round trip: p50 ${percentile(signed, 50).toFixed(2)} ms, p99 ${percentile(signed, 99).toFixed(2)} ms (unsigned, refused: p50 ${percentile(unsigned, 50).toFixed(2)} ms)`);

      return {
        figures: {
          devices: DEVICES,
          controller_rss_mb: controllerRss,
          bare_broker_rss_mb: bareRss,
          connect_s: connectS,
          rollout_1000_s: rolloutS,
          devices_offered_once: offered,
          command_rtt_p50_ms: percentile(signed, 50),
          command_rtt_p99_ms: percentile(signed, 99),
          unsigned_rtt_p50_ms: percentile(unsigned, 50),
          unsigned_rtt_p99_ms: percentile(unsigned, 99),
        },
        ratios: {
          controller_rss_vs_bare_broker: ratio(controllerRss, bareRss),
          command_rtt_p50_vs_unsigned: ratio(percentile(signed, 50), percentile(unsigned, 50)),
        },
        targets: {},
      };
    } finally {
      await Promise.all(devices.map((d) => d.close().catch(() => undefined)));
      for (const child of children) await stop(child);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
