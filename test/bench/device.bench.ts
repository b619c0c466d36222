/**
 * `npm run bench -- device`: the device agent as the separate process `ame device` is, joining `ame up` (one
 * manager, one Unity of three servers, the quick parameters) on loopback with the sim HAL.
 *
 * - cold_start_to_serving_s: from spawning `ame device` on an empty data folder (but for its wallet, made and funded
 *   beforehand so the owner's funding is not timed) to its `state serving` line: Node start, provisioning of the
 *   node identity, the light client following the chain from its genesis, registration in a final block, and the
 *   managers' attachment (their attach duty runs every 5 s, so up to 5 s of this is waiting for it).
 * - rss_idle_mb: the process's resident set 5 s after serving, with no requests.
 * - rss_serving_mb: its largest resident set while clients store 4 KiB blobs on it for AME_BENCH_MS (default 10 s),
 *   each a paid request (receipt, durable log entry, stored blob).
 * - bare_node_rss_mb: a Node process doing nothing, measured in the same run (the baseline of the ratio).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../cli/main.ts';
import { createWallet, deviceLayout } from '../../device/index.ts';
import { startDevice, startUp } from '../support/cli.ts';
import { type Bench, ratio } from './harness.ts';

const SERVE_MS = Number(process.env['AME_BENCH_MS'] ?? 10_000);
const log = (line: string) => void process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS of a process in MiB (0 once it is gone). */
function rssMb(pid: number | undefined): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

async function ame(dir: string, ...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
  const stderr = new Writable({ write: (chunk: Buffer, _enc, done) => ((err += chunk.toString()), done()) });
  const code = await main(args, { stdout, stderr, stdin: Readable.from([]), env: { HOME: dir }, cwd: dir, now: () => Date.now() });
  if (code !== 0) throw new Error(`ame ${args.join(' ')}: ${err}`);
  return out;
}

async function bareNodeRss(children: ChildProcess[]): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await sleep(1_000);
  const mb = rssMb(child.pid);
  child.kill('SIGKILL');
  return mb;
}

export const bench: Bench = {
  name: 'device',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ame-device-bench-'));
    const children: ChildProcess[] = [];
    try {
      const net = join(dir, 'net');
      const up = await startUp(['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '1', '--params', 'quick'], children);
      const bare = await bareNodeRss(children);
      log(`bare node process: ${bare.toFixed(1)} MiB`);

      const data = join(dir, 'device');
      const wallet = await createWallet(deviceLayout(data), Date.now());
      const chain = ['--wallet', join(net, 'investors-wallet.json'), '--manager', up.url];
      await ame(dir, 'wallet', 'transfer', wallet.address, '150', ...chain, '--wait', '30');

      const started = performance.now();
      const device = startDevice(['--data', data, '--boot', join(dir, 'boot'), '--join', net, '--sim'], children, { HOME: dir });
      await device.line(/^state serving$/, 120_000);
      const cold = (performance.now() - started) / 1000;
      log(`cold start to serving: ${cold.toFixed(2)} s`);
      await sleep(5_000);
      const idle = rssMb(device.child.pid);
      log(`idle, serving nothing: ${idle.toFixed(1)} MiB`);

      const client = join(dir, 'client');
      const node = join(data, 'node');
      await ame(dir, 'channel', 'open', '--currency', 'ABC', '--amount', '10', '--payee', node, ...chain, '--client', client);
      let peak = 0;
      let requests = 0;
      const end = performance.now() + SERVE_MS;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(device.child.pid))), 250);
      try {
        while (performance.now() < end) {
          const file = join(dir, 'blob');
          writeFileSync(file, Buffer.alloc(4096, requests % 251));
          await ame(dir, 'client', 'store', file, '--client', client, '--worker', node);
          requests += 1;
        }
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, rssMb(device.child.pid));
      log(`serving ${requests} stores in ${(SERVE_MS / 1000).toFixed(0)} s: peak ${peak.toFixed(1)} MiB`);
      device.child.kill('SIGTERM');
      await device.exit;
      return {
        figures: {
          cold_start_to_serving_s: cold,
          rss_idle_mb: idle,
          rss_serving_mb: peak,
          bare_node_rss_mb: bare,
          serving_requests: requests,
        },
        ratios: { rss_idle_vs_bare_node: ratio(idle, bare), rss_serving_vs_bare_node: ratio(peak, bare) },
        targets: {},
      };
    } finally {
      for (const child of children) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
