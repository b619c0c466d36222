/**
 * Power loss while serving (SPEC §9: "Survives power loss anywhere with no acknowledged receipt lost … checks what
 * it needs before serving"). `ame device --join` serves a client's paid blob stores and fetches on a channel the
 * test opened on the ledger of `ame up`, and is SIGKILLed again and again at a random moment while requests flow
 * (and now and then during its start-up as well). The client runs in this process, so it knows exactly which
 * requests the device acknowledged and the cumulative amount of each one's receipt. After every kill, with the
 * agent down, its files must show:
 *
 *   - every SQLite database under the data folder passes `PRAGMA integrity_check` (opened read-only);
 *   - the receipt book's latest receipt on the channel owes at least the largest acknowledged cumulative amount;
 *   - every acknowledged receipt is in the receipt archive, and a service-log entry names it;
 *   - every service-log entry names an archived receipt (what the managers' audits ask for: a logged request
 *     without its receipt is judged an inflated log);
 *   - the folder stays under 100 MB;
 *
 * and, started again on the same folder, the agent prints `state serving` (or `state promoted`) within 5 s of its
 * spawn; blobs it acknowledged are fetched back intact. At the end it stops cleanly and the files are checked once
 * more. AME_POWER_SEED=<n> replays the random choices; AME_POWER_KILLS=<n> kills more often (at least 20). The
 * restart bound is wall-clock time, so a machine busy with other work can miss it: a miss names the load average.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientFolder } from '../../../node/client/client-folder.ts';
import { WorkerClient } from '../../../node/client/worker-client.ts';
import { Ed25519KeyPair, fromHex, toHex, utf8 } from '../../../node/crypto/index.ts';
import { createHost, type Host, type PeerRef } from '../../../node/net/index.ts';
import { ChannelSpender, MemorySpenderStore, type Payment } from '../../../node/worker/payments/index.ts';
import { ameIn, type CliRun, type DeviceProcess, startDevice, startUp } from '../../support/cli.ts';
import { folderBytes, integrityProblems, readWorkerFiles } from '../../support/device-power.ts';
import { seededRandom } from '../../support/seeded.ts';

const KILLS = Math.max(20, Number(process.env['AME_POWER_KILLS'] ?? 22));
const SEED = Number(process.env['AME_POWER_SEED'] ?? 0x5eed_0009);
/** Spawn → serving, wall-clock: the issue's 5 s; AME_POWER_RESTART_MS sets another bound (a slower board, a shared host). */
const RESTART_LIMIT_MS = Number(process.env['AME_POWER_RESTART_MS'] ?? 5_000);
const SIZE_LIMIT = 100 * 1024 * 1024;
/** Requests in flight at once: a group commit then holds several receipts. */
const LANES = 3;

const dir = mkdtempSync(join(tmpdir(), 'ame-power-loss-'));
const net = join(dir, 'net');
const data = join(dir, 'device');
const nodeDir = join(data, 'node');
const workerDir = join(nodeDir, 'worker');
const children: ChildProcess[] = [];
let clientHost: Host | undefined;

afterAll(async () => {
  await clientHost?.stop();
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((done) => child.once('close', done)))));
  rmSync(dir, { recursive: true, force: true });
});

const ame = ameIn(dir);

const json = <T>(run: CliRun): T => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Remembers the payment it signed last: WorkerClient signs a request's receipt synchronously before sending it. */
class RecordingSpender extends ChannelSpender {
  last: Payment | undefined;

  override pay(payee: Uint8Array, amount: bigint, score?: number): Payment {
    const payment = super.pay(payee, amount, score);
    this.last = payment;
    return payment;
  }
}

/** The device's current addresses, from the contact file it writes at every start (read again if caught mid-write). */
async function contact(): Promise<PeerRef> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (JSON.parse(readFileSync(join(nodeDir, 'ring-contact.json'), 'utf8')) as { peer: PeerRef }).peer;
    } catch (error) {
      if (attempt >= 10) throw error;
      await sleep(50);
    }
  }
}

/** Standard error of each device process (startDevice keeps only its standard output). */
const stderrOf = new WeakMap<ChildProcess, string[]>();
/** When each state line of a device process arrived (performance.now()). */
const statesOf = new WeakMap<ChildProcess, { at: number; line: string }[]>();

/** Spawn → `state serving` or `state promoted`, in ms; throws on `state error`, an exit or 30 s without either. */
async function untilServing(device: DeviceProcess, spawnedAt: number): Promise<number> {
  for (;;) {
    const out = device.output();
    if (/^state (serving|promoted)$/m.test(out)) return performance.now() - spawnedAt;
    if (/^state error/m.test(out) || device.child.exitCode !== null || performance.now() - spawnedAt > 30_000) {
      const err = (stderrOf.get(device.child) ?? []).join('').slice(-6_000);
      throw new Error(`ame device did not come back serving (exit ${device.child.exitCode}):\n${out}\n${err}`);
    }
    await sleep(5);
  }
}

async function kill(device: DeviceProcess): Promise<void> {
  device.child.kill('SIGKILL');
  await device.exit;
  expect(device.child.signalCode).toBe('SIGKILL');
}

interface Ack {
  readonly amount: bigint;
  readonly hash: string;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

describe(`ame device under ${KILLS} SIGKILLs while serving (seed ${SEED}; AME_POWER_SEED reproduces)`, () => {
  it(`loses no acknowledged receipt, keeps its databases sound and serves again within ${RESTART_LIMIT_MS / 1000} s of every restart`, { timeout: 600_000 }, async () => {
    // Two streams: the kill schedule, and the requests' choices (drawn as the lanes' timing interleaves them).
    const random = seededRandom(SEED);
    const choices = seededRandom(SEED ^ 0x5bd1e995);
    console.log(`power-loss seed ${SEED} (AME_POWER_SEED=${SEED} reproduces the random choices)`);
    const up = await startUp(['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '1', '--params', 'quick'], children);
    const args = ['--data', data, '--boot', join(dir, 'boot'), '--join', net, '--sim'];
    const start = () => {
      const started = startDevice(args, children, { HOME: dir });
      const err: string[] = [];
      stderrOf.set(started.child, err);
      started.child.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
      const seen: { at: number; line: string }[] = [];
      statesOf.set(started.child, seen);
      started.child.stdout!.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line.startsWith('state ')) seen.push({ at: performance.now(), line: line.slice(6) });
      });
      return started;
    };

    // First boot: provisioned, funded by the owner (fees, the temporary deposit, the worker deposit a promotion
    // freezes), registered and attached.
    let device = start();
    const identity = JSON.parse((await device.line(/^device (\{.*\})$/))[1]!) as { key: string; wallet: string };
    await device.line(/^state registering$/);
    const chain = ['--wallet', join(net, 'investors-wallet.json'), '--manager', up.url];
    expect(json<{ ok: boolean }>(await ame('wallet', 'transfer', identity.wallet, '150', ...chain, '--wait', '30', '--json'))).toMatchObject({ ok: true });
    await device.line(/^state serving$/, 90_000);

    // A channel on the ledger paying the device, and this process's client on it.
    const clientDir = join(dir, 'client');
    const opened = json<{ id: string }>(await ame('channel', 'open', '--currency', 'ABC', '--amount', '5', '--payee', nodeDir, ...chain, '--client', clientDir, '--json'));
    const folder = ClientFolder.open(clientDir);
    const entry = folder.channel(opened.id);
    const payee = fromHex(identity.key);
    const spender = new RecordingSpender({
      channel: { id: fromHex(entry.id), escrow: BigInt(entry.escrow), payees: [payee], currency: 'ABC' },
      session: folder.sessionKey(),
      authorization: folder.authorization()!,
      store: new MemorySpenderStore(),
      now: Date.now,
    });
    const prices = folder.prices();
    clientHost = createHost({ nodeKey: Ed25519KeyPair.generate(), listen: [] });
    await clientHost.start();
    const rpc = clientHost.rpc;

    const acks: Ack[] = [];
    let maxAcked = 0n;
    const blobs: { address: Uint8Array; bytes: Uint8Array }[] = [];
    const problems: string[] = [];
    /** Failures of requests while the device was up, by what the worker or the transport said. */
    const refusals = new Map<string, number>();
    const restarts: number[] = [];
    const phases: string[] = [];
    const firstAcks: number[] = [];
    const ackedPerKill: number[] = [];
    const sizes: number[] = [];
    const databaseSizes: number[] = [];
    let sent = 0;
    let fetched = 0;
    let startupKills = 0;

    /**
     * Sends paid requests on LANES lanes until `stop()`: mostly stores of small new blobs, now and then a fetch of
     * a blob the device acknowledged (which must come back intact). Returns when every lane has stopped.
     */
    const load = async (api: WorkerClient, stop: () => boolean, killed: () => boolean, onAck: () => void) => {
      const lane = async (n: number) => {
        while (!stop()) {
          const before = spender.last;
          const fetch = blobs.length > 0 && choices() < 0.2;
          const blob = fetch ? blobs[Math.floor(choices() * blobs.length)]! : undefined;
          const bytes = blob?.bytes ?? utf8(`lane ${n} request ${sent} seed ${SEED} `.padEnd(48 + Math.floor(choices() * 900), '.'));
          sent += 1;
          const request = blob === undefined ? api.store(bytes) : api.chunk(blob.address, 0, blob.bytes.length);
          const payment = spender.last;
          if (payment === undefined || payment === before) throw new Error('the client sent a request without signing a receipt for it first');
          try {
            const reply = await request;
            if ('address' in reply) blobs.push({ address: reply.address, bytes });
            else {
              fetched += 1;
              if (toHex(reply.chunk) !== toHex(blob!.bytes)) problems.push(`blob ${toHex(blob!.address)} came back changed`);
            }
            acks.push({ amount: payment.fields.amount, hash: toHex(payment.hash) });
            if (payment.fields.amount > maxAcked) maxAcked = payment.fields.amount;
            onAck();
          } catch (error) {
            // The power is off: what was in flight fails, and nothing more is sent.
            if (killed()) break;
            const e = error as Error & { code?: string; remote?: string };
            const what = `${e.name}:${e.code ?? '?'}${e.remote === undefined ? '' : `:${e.remote}`}`;
            refusals.set(what, (refusals.get(what) ?? 0) + 1);
            if (refusals.get(what) === 1) console.log(`request failed while the device was up: ${what}: ${e.message}`);
            // An acknowledged blob the device no longer holds is lost data, not a passing failure.
            if (blob !== undefined && /NOT_FOUND/.test(what)) problems.push(`acknowledged blob ${toHex(blob.address)} is gone: ${e.message}`);
            await sleep(20);
          }
        }
      };
      await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)));
    };

    /** The device's files, read with the agent down. */
    const checkFiles = (when: string) => {
      for (const p of integrityProblems(data)) problems.push(`${when}: integrity_check: ${p}`);
      const files = readWorkerFiles(workerDir);
      const held = files.book.get(entry.id);
      if (maxAcked > 0n && (held === undefined || held.amount < maxAcked)) {
        problems.push(`${when}: the receipt book holds ${held?.amount ?? 'nothing'} on the channel, ${maxAcked} was acknowledged`);
      }
      const logged = new Set(files.logged.map((l) => l.receipt));
      const unarchived = acks.filter((a) => !files.archived.has(a.hash)).length;
      const unlogged = acks.filter((a) => !logged.has(a.hash)).length;
      if (unarchived > 0) problems.push(`${when}: ${unarchived} acknowledged receipt(s) missing from the receipt archive`);
      if (unlogged > 0) problems.push(`${when}: ${unlogged} acknowledged request(s) missing from the service log`);
      const orphans = files.logged.filter((l) => !files.archived.has(l.receipt)).map((l) => l.seq);
      if (orphans.length > 0) problems.push(`${when}: service-log entries ${orphans.join(', ')} name no archived receipt`);
      const bytes = folderBytes(data);
      sizes.push(bytes.total);
      databaseSizes.push(bytes.databases);
      if (bytes.total > SIZE_LIMIT) problems.push(`${when}: the data folder holds ${bytes.total} bytes`);
    };

    /** Starts the agent on the same folder; the time from spawn to serving. */
    const restart = async (): Promise<number> => {
      const spawnedAt = performance.now();
      device = start();
      const ms = await untilServing(device, spawnedAt);
      restarts.push(ms);
      phases.push((statesOf.get(device.child) ?? []).map((s) => `${s.line}@${Math.round(s.at - spawnedAt)}`).join(' '));
      // The load average says how busy the machine was: the limit is wall-clock time.
      if (ms >= RESTART_LIMIT_MS) problems.push(`restart ${restarts.length}: serving after ${Math.round(ms)} ms (load average ${loadavg()[0]!.toFixed(1)})`);
      return spawnedAt;
    };

    const devices: DeviceProcess[] = [device];
    let lastSpawn = performance.now();
    for (let round = 0; round < KILLS; round++) {
      const api = new WorkerClient({ rpc, worker: await contact(), payee, abc: spender, prices: () => prices, timeoutMs: 5_000 });
      let stopped = false;
      let killed = false;
      let firstAck = true;
      const ackedBefore = acks.length;
      const flowing = load(
        api,
        () => stopped,
        () => killed,
        () => {
          if (!firstAck) return;
          firstAck = false;
          if (round > 0) firstAcks.push(performance.now() - lastSpawn);
        },
      );
      await sleep(300 + Math.floor(random() * 2_200));
      killed = true;
      await kill(device);
      stopped = true;
      await flowing;
      ackedPerKill.push(acks.length - ackedBefore);
      checkFiles(`round ${round}, killed while serving`);

      // One round in five also cuts the power during the next start-up and its recovery.
      if (random() < 0.2) {
        const after = Math.floor(random() * 1_500);
        device = start();
        devices.push(device);
        await sleep(after);
        const serving = /^state (serving|promoted)$/m.test(device.output());
        await kill(device);
        startupKills += 1;
        checkFiles(`round ${round}, killed ${after} ms into start-up${serving ? ' (already serving)' : ''}`);
      }
      lastSpawn = await restart();
      devices.push(device);
    }

    // Serving once more after the last restart, then a clean stop, and the files once more.
    const api = new WorkerClient({ rpc, worker: await contact(), payee, abc: spender, prices: () => prices, timeoutMs: 5_000 });
    let stopped = false;
    const ackedBefore = acks.length;
    const flowing = load(api, () => stopped, () => false, () => undefined);
    await sleep(1_000);
    stopped = true;
    await flowing;
    expect(acks.length).toBeGreaterThan(ackedBefore);
    device.child.kill('SIGTERM');
    expect(await device.exit).toBe(0);
    expect(device.output()).toMatch(/^stopped$/m);
    checkFiles('after the clean stop');
    // What the agents said besides serving: a degraded or error state after a power cut is worth seeing.
    const states = devices.flatMap((d) => d.output().split('\n').filter((l) => /^state (degraded|error)/.test(l)));

    const head = (await (await fetch(`${up.url}/api/head`)).json()) as { height: string };
    const sorted = [...restarts].sort((a, b) => a - b);
    const firstSorted = [...firstAcks].sort((a, b) => a - b);
    console.log(
      `power loss: ${KILLS} kills while serving, ${startupKills} during start-up; ${acks.length} requests acknowledged ` +
        `(${fetched} fetches) of ${sent} sent; acknowledged per serving window: ${ackedPerKill.join(' ')}\n` +
        `spawn → serving (ms): min ${Math.round(sorted[0]!)}, median ${Math.round(quantile(sorted, 0.5))}, max ${Math.round(sorted.at(-1)!)}; ` +
        `spawn → first acknowledged request (ms): median ${Math.round(quantile(firstSorted, 0.5))}, max ${Math.round(firstSorted.at(-1) ?? 0)}\n` +
        `data folder after a kill: ${mb(Math.max(...sizes))} MB at most (databases with their WAL files ${mb(Math.max(...databaseSizes))} MB); ` +
        `after the clean stop ${mb(sizes.at(-1)!)} MB (databases ${mb(databaseSizes.at(-1)!)} MB); ` +
        `largest acknowledged amount ${maxAcked}; chain height ${head.height} (the device's light client resumes from its checkpoint at every boot); failed requests while up: ${JSON.stringify(Object.fromEntries(refusals))}; ` +
        `other states: ${JSON.stringify(states)}`,
    );
    console.log(`restarts: ${restarts.map((ms, i) => `${Math.round(ms)} (${phases[i]})`).join(', ')}`);
    expect(problems).toEqual([]);
    expect(states.filter((l) => l.startsWith('state error') || l.includes('integrity'))).toEqual([]);
    expect(restarts).toHaveLength(KILLS);
    expect(sorted.at(-1)!).toBeLessThan(RESTART_LIMIT_MS);
    // Most serving windows saw acknowledged requests: the kills landed while the device was paid and writing.
    expect(ackedPerKill.filter((n) => n > 0).length).toBeGreaterThan(KILLS * 0.8);

    up.child.kill('SIGTERM');
    expect(await up.exit).toBe(0);
    expect(children.every((c) => c.exitCode !== null || c.signalCode !== null)).toBe(true);
  });
});
