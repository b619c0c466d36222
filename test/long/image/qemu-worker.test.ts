/**
 * The arm64 release bundle as a real temporary worker (issue 11, Done-when 1; SPEC §11): unpacked by the device's own
 * extractor and run under qemu-aarch64 on this x86-64 machine, its `ame device --join` joins an `ame up` run by the
 * native Node on loopback (one manager, one Unity of three ring servers, the fleet broker). It provisions, is funded by
 * the owner, registers and is attached to a Unity (the ledger's node record says so), serves a client's paid blob
 * stores and fetches (receipts the client signed), settles what it earned (a final channel-settle on the chain, signed
 * by its wallet), and is SIGKILLed; started again on the same folder it keeps its identity, its databases pass
 * integrity_check, its receipts and settled earnings are still there, and it serves the blob it stored before and new
 * paid requests. Start times (spawn → code loaded → serving) and the emulator's resident memory are printed for
 * docs/image.md "arm64 under qemu". The machine's load makes the times vary: nothing here asserts a wall-clock bound,
 * and every wait is on a line the device prints or a poll of its dashboard or the explorer, with generous deadlines.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../node/crypto/index.ts';
import { AARCH64_ROOT, qemuCli, residentKiB, unpackArm64Bundle } from '../../support/arm64-bundle.ts';
import { ameIn, type CliRun, type DeviceProcess, startDevice, startUp } from '../../support/cli.ts';
import { integrityProblems, readWorkerFiles } from '../../support/device-power.ts';
import { labelledBytes } from '../../support/seeded.ts';
import { eventually } from '../../support/wait.ts';

/** Every phase under emulation: a first boot took ~45 s here with a load average of 5 on the 2 cores. */
const PHASE_MS = 300_000;

const tmp = mkdtempSync(join(tmpdir(), 'ame-qemu-worker-'));
const net = join(tmp, 'net');
const data = join(tmp, 'device');
const nodeDir = join(data, 'node');
const children: ChildProcess[] = [];

/** True while `pid`'s process group has a member (the emulator, or anything it started). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const child of children) {
    const pid = child.pid;
    // The devices run in their own process groups: whatever the emulated agent started goes with it.
    if (pid !== undefined && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((done) => c.once('close', done)))));
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

const ame = ameIn(tmp);

/** Client commands that gave up reaching the device and were sent again. */
const retried: string[] = [];

/**
 * An `ame client` command to the device, sent again while it cannot reach it: under emulation on a loaded machine the
 * device's side of a connection's handshake (cold code paths compiled under TCG) can outlast the client's 10 s dial
 * timeout. Any other failure is the answer.
 */
async function toDevice(...args: string[]): Promise<CliRun> {
  return eventually(
    `ame ${args.slice(0, 2).join(' ')} reaching the device`,
    async () => {
      const run = await ame(...args);
      if (run.code === 0 || !/cannot reach worker/.test(run.stderr)) return run;
      retried.push(`${args.slice(0, 2).join(' ')}: ${run.stderr.trim()}`);
      return undefined;
    },
    PHASE_MS,
  );
}

const json = <T>(run: CliRun): T => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

interface Started {
  readonly device: DeviceProcess;
  readonly spawnedAt: number;
  /** performance.now() when a line matching `re` first arrived on standard output or error. */
  at(re: RegExp): number | undefined;
}

interface Status {
  state: string;
  earnings: { servedRequests: number; receiptsHeld: number; unsettled: { micro: string }; settled: { micro: string } } | null;
}

describe('the arm64 bundle under qemu-aarch64', () => {
  it('joins an x86 network as a temporary worker, serves paid requests, settles, and survives a SIGKILL', { timeout: 1_500_000 }, async () => {
    expect(readFileSync(join(AARCH64_ROOT, 'lib/ld-linux-aarch64.so.1')).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    const unpacked = join(tmp, 'bundle');
    const bundle = await unpackArm64Bundle(unpacked);
    // What runs below is what the bundle's launcher runs: its Node on its app (the emulator stands in for binfmt).
    expect(readFileSync(join(unpacked, 'bin/ame'), 'utf8')).toMatch(/^exec "\$here\/runtime\/bin\/node" "\$here\/app\/cli\/main\.ts" "\$@"$/m);

    const t0 = performance.now();
    /** Progress with the time since the test began: the phases' costs show even when a later step fails. */
    const mark = (what: string) => console.log(`qemu worker +${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    mark(`bundle ${bundle.manifest.version} (${bundle.source}) unpacked`);
    const up = await startUp(['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '1'], children, { readyMs: 120_000 });
    mark('ame up ready');
    const args = ['--data', data, '--boot', join(tmp, 'boot'), '--join', net, '--sim'];
    const start = (): Started => {
      const spawnedAt = performance.now();
      const device = startDevice(args, children, { HOME: tmp }, [], { cli: qemuCli(unpacked), detached: true });
      const seen: { at: number; line: string }[] = [];
      // Whole lines only, each stamped when its end arrived (a pipe may split a long log line).
      const note = () => {
        let partial = '';
        return (chunk: Buffer) => {
          const lines = (partial + chunk.toString()).split('\n');
          partial = lines.pop()!;
          for (const line of lines) seen.push({ at: performance.now(), line });
        };
      };
      device.child.stdout!.on('data', note());
      device.child.stderr!.on('data', note());
      return { device, spawnedAt, at: (re) => seen.find((l) => re.test(l.line))?.at };
    };
    const secs = (from: number, to: number | undefined) => (to === undefined ? NaN : (to - from) / 1000);
    /** The agent logs "dashboard listening" once its whole module graph is loaded and it starts. */
    const LOADED = /"msg":"dashboard listening"/;
    const dashboardOf = async (started: Started) => (JSON.parse((await started.device.line(/^device (\{.*\})$/, PHASE_MS))[1]!) as { dashboard: string }).dashboard;
    const status = async (dashboard: string) => (await (await fetch(`${dashboard}/api/status`)).json()) as Status;

    // First boot: provisioning (node key, Falcon wallet), connecting to the managers, then registration waits for funds.
    const first = start();
    const identity = JSON.parse((await first.device.line(/^device (\{.*\})$/, PHASE_MS))[1]!) as { peerId: string; key: string; wallet: string; dashboard: string };
    await first.device.line(/^state registering$/, PHASE_MS);
    mark('first boot: registering');
    const chain = ['--wallet', join(net, 'investors-wallet.json'), '--manager', up.url];
    expect(json<{ ok: boolean }>(await ame('wallet', 'transfer', identity.wallet, '150', ...chain, '--wait', '60', '--json'))).toMatchObject({ ok: true });
    const fundedAt = performance.now();
    await first.device.line(/^state serving$/, PHASE_MS);
    mark('first boot: serving');
    const firstServing = first.at(/^state serving$/)!;
    const rssServing = residentKiB(first.device.child.pid!);

    // Registered and attached: the ledger's record of its node key, a temporary worker of the Unity, on its wallet.
    const nodes = ((await (await fetch(`${up.url}/api/nodes`)).json()) as { nodes: Record<string, unknown>[] }).nodes;
    const record = nodes.find((n) => n['key'] === identity.key);
    expect(record, JSON.stringify(nodes)).toMatchObject({ role: 'temporary', status: 'active', account: identity.wallet, hardware: 'ame device' });
    expect(record!['unity']).toMatch(/^u-[0-9a-f]{64}$/);

    // A client pays it: a channel on the ledger, a large blob stored for 40 days (more than the device's settlement
    // threshold of 0.1 ABC), a small one, and the small one fetched back — each request with its receipt.
    const client = join(tmp, 'client');
    const opened = json<{ id: string }>(await ame('channel', 'open', '--currency', 'ABC', '--amount', '1', '--payee', nodeDir, ...chain, '--client', client, '--json'));
    const blob = labelledBytes('qemu worker blob');
    const files = { large: join(tmp, 'large.bin'), small: join(tmp, 'small.bin') };
    writeFileSync(files.large, blob(300_000));
    writeFileSync(files.small, 'a small blob stored on an emulated arm64 device');
    const large = json<{ address: string; worker: string; paid: string }>(await toDevice('client', 'store', files.large, '--client', client, '--worker', nodeDir, '--days', '40', '--json'));
    expect(large.worker).toBe(identity.peerId);
    expect(BigInt(large.paid)).toBeGreaterThanOrEqual(100_000n);
    const small = json<{ address: string }>(await toDevice('client', 'store', files.small, '--client', client, '--worker', nodeDir, '--json'));
    const back = join(tmp, 'back.bin');
    expect(json<{ worker: string }>(await toDevice('client', 'fetch', small.address, '--out', back, '--client', client, '--worker', nodeDir, '--json')).worker).toBe(identity.peerId);
    expect(readFileSync(back, 'utf8')).toBe(readFileSync(files.small, 'utf8'));
    const paid = json<{ signed: string; receipts: string }>(await ame('channel', 'status', opened.id, '--client', client, '--json'));
    expect(Number(paid.receipts)).toBeGreaterThanOrEqual(2 + 1 + 1);
    mark('paid requests served');

    // It settles by itself: its light client sees the channel pay it, and the chain holds its channel-settle.
    const dashboard = identity.dashboard;
    const settled = await eventually(
      'the device settling its receipts',
      async () => {
        const e = (await status(dashboard)).earnings;
        return e !== null && BigInt(e.settled.micro) >= BigInt(large.paid) ? e : undefined;
      },
      PHASE_MS,
    );
    expect(settled.servedRequests).toBeGreaterThanOrEqual(4);
    const settlement = await eventually('the settlement on the chain', () => settlementOf(up.url, identity.wallet), PHASE_MS);
    expect(settlement).toMatchObject({ ok: true, signer: identity.wallet });
    mark(`settled in block ${settlement.height}`);

    // Power cut: SIGKILL to the emulator, which takes the whole agent (and nothing it started outlives it).
    const rssBeforeKill = residentKiB(first.device.child.pid!);
    first.device.child.kill('SIGKILL');
    await first.device.exit;
    expect(first.device.child.signalCode).toBe('SIGKILL');
    expect(groupAlive(first.device.child.pid!)).toBe(false);
    // With the agent down: its databases are sound and hold every receipt the client signed.
    expect(integrityProblems(data)).toEqual([]);
    const held = readWorkerFiles(join(nodeDir, 'worker'));
    expect(held.book.get(opened.id)?.amount).toBe(BigInt(paid.signed));
    expect(held.logged.length).toBeGreaterThanOrEqual(4);
    mark('killed; files checked');

    // Started again on the same folder: the same identity, no provisioning, serving again.
    const second = start();
    const again = JSON.parse((await second.device.line(/^device (\{.*\})$/, PHASE_MS))[1]!) as typeof identity;
    expect({ ...again, dashboard: '' }).toEqual({ ...identity, dashboard: '' });
    await second.device.line(/^state serving$/, PHASE_MS);
    mark('restarted: serving');
    // After an unclean stop the agent checks every database in full in the background once serving (docs/device.md).
    const checked = await eventually('the full integrity check after the power cut', () => second.at(/"msg":"full integrity check: \d+ database\(s\) ok"/), PHASE_MS);
    expect(second.device.output()).not.toMatch(/^state provisioning$/m);
    const secondServing = second.at(/^state serving$/)!;
    const rssRestart = residentKiB(second.device.child.pid!);
    const after = await eventually('earnings after the restart', async () => (await status(await dashboardOf(second))).earnings ?? undefined, PHASE_MS);
    expect(after.settled.micro).toBe(settled.settled.micro);
    expect(after.servedRequests).toBeGreaterThanOrEqual(settled.servedRequests);
    mark('earnings intact');
    // It still serves what it stored before the cut, and takes new paid requests.
    const large2 = join(tmp, 'large-back.bin');
    expect(json<{ size: number }>(await toDevice('client', 'fetch', large.address, '--out', large2, '--client', client, '--worker', nodeDir, '--json')).size).toBe(300_000);
    expect(toHex(readFileSync(large2))).toBe(toHex(readFileSync(files.large)));
    const more = join(tmp, 'more.bin');
    writeFileSync(more, 'stored after the power cut');
    json(await toDevice('client', 'store', more, '--client', client, '--worker', nodeDir, '--json'));
    const paidAfter = json<{ receipts: string }>(await ame('channel', 'status', opened.id, '--client', client, '--json'));
    // A request retried may have signed a receipt the device never saw (the client signs before it sends).
    expect(Number(paidAfter.receipts)).toBeGreaterThanOrEqual(Number(paid.receipts) + 2 + 1);
    const rssEnd = residentKiB(second.device.child.pid!);

    // A clean stop, then the network's.
    second.device.child.kill('SIGTERM');
    expect(await second.device.exit).toBe(0);
    expect(second.device.output()).toMatch(/^stopped$/m);
    up.child.kill('SIGTERM');
    expect(await up.exit).toBe(0);

    const mib = (kib: number) => (kib / 1024).toFixed(0);
    const report = {
      bundle: `${bundle.manifest.version} (${bundle.source}${bundle.buildS === undefined ? '' : `, built in ${bundle.buildS.toFixed(0)} s`})`,
      firstBoot: `spawn → code loaded ${secs(first.spawnedAt, first.at(LOADED)).toFixed(1)} s, → registering ${secs(first.spawnedAt, first.at(/^state registering$/)).toFixed(1)} s (provisioning incl. a Falcon wallet); funded → serving ${secs(fundedAt, firstServing).toFixed(1)} s`,
      restart: `spawn → code loaded ${secs(second.spawnedAt, second.at(LOADED)).toFixed(1)} s, → serving ${secs(second.spawnedAt, secondServing).toFixed(1)} s (after SIGKILL: SQLite checks first), → full integrity check done ${secs(second.spawnedAt, checked).toFixed(1)} s`,
      rss: `VmHWM/VmRSS MiB: serving ${mib(rssServing.peak)}/${mib(rssServing.now)}, before the kill ${mib(rssBeforeKill.peak)}/${mib(rssBeforeKill.now)}, restarted serving ${mib(rssRestart.peak)}/${mib(rssRestart.now)}, end ${mib(rssEnd.peak)}/${mib(rssEnd.now)}`,
      settled: `${settled.settled.micro} µABC for ${settled.servedRequests} requests, in block ${settlement.height}`,
      retried: retried.length === 0 ? 'none' : retried.join('; '),
      load: loadavg().map((l) => l.toFixed(1)).join(' '),
    };
    console.log(`arm64 under qemu:\n${Object.entries(report).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  });
});

/** The first final channel-settle signed by `signer`, from the explorer's blocks (newest first, the last 100). */
async function settlementOf(url: string, signer: string): Promise<{ ok: boolean; signer: string; height: number } | undefined> {
  const get = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  const { blocks } = await get<{ blocks: { height: string; txCount: number }[] }>('/api/blocks?limit=100');
  for (const b of blocks.filter((b) => b.txCount > 0)) {
    const { txs } = await get<{ txs: { kind: string; signer: string; ok: boolean }[] }>(`/api/blocks/${b.height}`);
    const tx = txs.find((t) => t.kind === 'channel-settle' && t.signer === signer);
    if (tx !== undefined) return { ok: tx.ok, signer: tx.signer, height: Number(b.height) };
  }
  return undefined;
}
