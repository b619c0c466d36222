/**
 * The consensus bench's manager rings: n `ManagerServer`s, each in its own worker thread with its own libp2p host
 * on 127.0.0.1 and store file (consensus-manager.ts), and one client host in the main thread that submits the load's
 * transactions (`manager/submit`), each payee's to one manager (payee p → manager p mod n) in nonce order.
 *
 * Phases: idle (no transactions: every proposal is NOTHING); warm-up (the payees register, then the client opens
 * its channel: each waits until final); light load (settles at a fixed low rate; the round latencies of this
 * window are the `round_*` figures); full load (settles kept `backlog` ahead of finality, so every block can be
 * full; settles applied per second at steady state, and the rounds of that window).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256, utf8 } from '../../node/crypto/index.ts';
import type { GenesisConfig } from '../../node/ledger/index.ts';
import { ManagerError, submitTx } from '../../node/manager/index.ts';
import type { Host, PeerRef } from '../../node/net/index.ts';
import { managerSeed, PAYEES } from './consensus-load.ts';
import type { ManagerWorkerData, Progress, WindowResult } from './consensus-manager.ts';
import { benchHost, type BenchThread, connectAll, type ThreadPool } from './consensus-threads.ts';
import type { Signed } from './consensus-worker.ts';
import { percentile } from './stats.ts';

export interface UnityPlan {
  readonly n: number;
  readonly genesis: GenesisConfig;
  readonly payees: readonly string[];
  readonly client: string;
  readonly registrations: readonly Uint8Array[];
  readonly channelOpen: Uint8Array;
  /** Per payee: its settles in nonce order. */
  readonly settles: readonly Uint8Array[][];
  /** Rounds with nothing to agree on (every mempool empty), before the warm-up. */
  readonly idle: { readonly warmMs: number; readonly windowMs: number };
  readonly light: { readonly ratePerS: number; readonly warmMs: number; readonly windowMs: number };
  readonly full: { readonly backlog: number; readonly warmMs: number; readonly windowMs: number };
  readonly log: (line: string) => void;
}

export interface Phase {
  /** Per manager. */
  readonly windows: WindowResult[];
  readonly submitted: number;
}

export interface UnityResult {
  readonly startMs: number;
  readonly idle: Phase;
  /** Missing when the ring failed before (`failure` says how). */
  readonly light?: Phase;
  readonly full?: Phase & { readonly exhausted: boolean; readonly backlogMean: number };
  readonly refused: Record<string, number>;
  readonly failure?: string;
}

/** How long a set-up transaction may take to be final. */
const WARM_UP_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** One line about a phase: its rounds (pooled over the managers), blocks and settles final, CPU the managers used. */
function summary(windows: readonly WindowResult[]): string {
  const rounds = windows.flatMap((w) => w.rounds);
  const cores = windows.reduce((a, w) => a + w.cores, 0);
  const w0 = windows[0]!;
  return `${rounds.length} rounds, p50 ${percentile(rounds, 50).toFixed(0)} ms, ${w0.blocks} blocks and ${w0.settles} settles final at manager 0, managers used ${cores.toFixed(2)} cores`;
}

/** Submits each payee's settles in nonce order to its manager, fire-and-forget; counts refusals by code. */
class Submitter {
  readonly #send: (p: number, bytes: Uint8Array) => Promise<unknown>;
  readonly #queues: readonly Uint8Array[][];
  readonly #next: number[];
  readonly refused: Record<string, number> = {};
  #turn = 0;
  submitted = 0;
  failed = 0;

  constructor(queues: readonly Uint8Array[][], send: (p: number, bytes: Uint8Array) => Promise<unknown>) {
    this.#queues = queues;
    this.#send = send;
    this.#next = queues.map(() => 0);
  }

  get remaining(): number {
    return this.#queues.reduce((n, q, p) => n + q.length - this.#next[p]!, 0);
  }

  /** The next payee's next settle, round-robin; false when every queue is empty. */
  one(): boolean {
    for (let tried = 0; tried < this.#queues.length; tried++) {
      const p = this.#turn;
      this.#turn = (this.#turn + 1) % this.#queues.length;
      const bytes = this.#queues[p]![this.#next[p]!];
      if (bytes === undefined) continue;
      this.#next[p]! += 1;
      this.submitted += 1;
      this.#send(p, bytes).catch((err: unknown) => {
        this.failed += 1;
        const code = err instanceof ManagerError ? `${err.code}${err.reason === undefined ? '' : `/${err.reason}`}` : String((err as Error).message);
        this.refused[code] = (this.refused[code] ?? 0) + 1;
      });
      return true;
    }
    return false;
  }
}

/** One ring's run: its threads, its client host, and the phases in order. */
class UnityRun {
  readonly #plan: UnityPlan;
  readonly #managers: BenchThread[];
  readonly #client: Host;
  readonly #peers: PeerRef[];
  #progress: Progress = { settles: 0, registered: 0, clientNonce: 0, height: 0, mempool: 0 };

  constructor(plan: UnityPlan, managers: BenchThread[], client: Host, peers: PeerRef[]) {
    this.#plan = plan;
    this.#managers = managers;
    this.#client = client;
    this.#peers = peers;
    managers[0]!.on<Progress>('progress', (p) => {
      this.#progress = p;
    });
  }

  /** Settles applied at manager 0's final state (its last progress notice, ≤ 100 ms old). */
  get final(): number {
    return this.#progress.settles;
  }

  submit(p: number, bytes: Uint8Array): Promise<unknown> {
    return submitTx(this.#client.rpc, this.#peers[p % this.#plan.n]!, bytes, 10_000);
  }

  /** Every manager's figures over `ms` (ended early when `during` turns false). */
  async windows(ms: number, during: () => boolean = () => true): Promise<WindowResult[]> {
    await Promise.all(this.#managers.map((m) => m.call('window-start')));
    const start = performance.now();
    while (performance.now() - start < ms && during()) await sleep(50);
    return Promise.all(this.#managers.map((m) => m.call<WindowResult>('window-end')));
  }

  /** A set-up transaction that must get in: a failed submission is sent again (a second copy is a DUPLICATE). */
  async #surely(p: number, tx: Uint8Array): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.submit(p, tx);
        return;
      } catch (error) {
        if (error instanceof ManagerError && error.code === 'DUPLICATE') return;
        if (attempt === 5 || (error instanceof ManagerError && error.code === 'REJECTED')) throw error;
      }
    }
  }

  /** The payees register, then the client opens its channel; each is waited for until final. */
  async warmUp(): Promise<void> {
    const { n, log, registrations, channelOpen } = this.#plan;
    const start = performance.now();
    await Promise.all(registrations.map((tx, p) => this.#surely(p, tx)));
    await until(() => this.#progress.registered === PAYEES, WARM_UP_MS, `${PAYEES} registrations to be final`);
    await this.#surely(0, channelOpen);
    await until(() => this.#progress.clientNonce >= 1, WARM_UP_MS, 'the channel to be opened');
    log(`n = ${n}: ${PAYEES} payees registered and the channel open in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }

  /** Light load, then full load, from the signed settles. */
  async loaded(): Promise<Required<Pick<UnityResult, 'light' | 'full' | 'refused'>>> {
    const { n, log, light, full } = this.#plan;
    const submitter = new Submitter(this.#plan.settles, (p, bytes) => this.submit(p, bytes));

    const trickle = setInterval(() => submitter.one(), 1000 / light.ratePerS);
    await sleep(light.warmMs);
    const lightWindows = await this.windows(light.windowMs);
    clearInterval(trickle);
    const lightSubmitted = submitter.submitted;
    log(`n = ${n}: light load (${light.ratePerS} settles/s) for ${(light.windowMs / 1000).toFixed(0)} s: ${summary(lightWindows)}`);

    // Full load: the backlog (submitted, not refused, not yet final) topped up every 10 ms.
    const backlog = () => submitter.submitted - submitter.failed - this.final;
    const topUp = () => {
      while (backlog() < full.backlog && submitter.one());
    };
    const pump = setInterval(topUp, 10);
    topUp();
    await sleep(full.warmMs);
    let samples = 0;
    let backlogSum = 0;
    const fullWindows = await this.windows(full.windowMs, () => {
      samples += 1;
      backlogSum += backlog();
      return submitter.remaining > 0;
    });
    clearInterval(pump);
    // Submissions still in flight when the ring stops fail with it: only refusals up to here count.
    const refused = { ...submitter.refused };
    const exhausted = submitter.remaining === 0;
    log(`n = ${n}: full load for ${(fullWindows[0]!.ms / 1000).toFixed(1)} s${exhausted ? ' (the signed settles ran out)' : ''}: ${summary(fullWindows)}`);
    return {
      light: { windows: lightWindows, submitted: lightSubmitted },
      full: { windows: fullWindows, submitted: submitter.submitted - lightSubmitted, exhausted, backlogMean: backlogSum / Math.max(1, samples) },
      refused,
    };
  }
}

export async function runUnity(plan: UnityPlan, pool: ThreadPool): Promise<UnityResult> {
  const { n, log } = plan;
  const t0 = performance.now();
  const storeDir = mkdtempSync(join(tmpdir(), `ame-consensus-bench-${n}-`));
  const managers = await pool.take(n);
  const client = await benchHost(sha256(utf8(`consensus bench client host ${n}`)));
  try {
    const role = (index: number): ManagerWorkerData => ({
      role: 'manager',
      index,
      seed: managerSeed(index),
      genesis: plan.genesis,
      storeDir,
      payees: plan.payees,
      client: plan.client,
      progress: index === 0,
    });
    await Promise.all(managers.map((m, i) => m.call('become', role(i))));
    const peers = await Promise.all(managers.map((m) => m.call<PeerRef>('peer')));
    await Promise.all(managers.map((m) => m.call('connect', { peers })));
    await connectAll(client, peers);
    const run = new UnityRun(plan, managers, client, peers);
    await Promise.all(managers.map((m) => m.call('start')));
    const startMs = performance.now() - t0;
    log(`n = ${n}: ${n} manager threads up and connected in ${(startMs / 1000).toFixed(1)} s`);

    await sleep(plan.idle.warmMs);
    const idleWindows = await run.windows(plan.idle.windowMs);
    log(`n = ${n}: idle for ${(plan.idle.windowMs / 1000).toFixed(0)} s: ${summary(idleWindows)}`);
    const idle = { windows: idleWindows, submitted: 0 };
    try {
      await run.warmUp();
      return { startMs, idle, ...(await run.loaded()) };
    } catch (error) {
      // Reported, not fatal: the phases measured so far are kept.
      log(`n = ${n}: the ring failed: ${(error as Error).message}`);
      return { startMs, idle, refused: {}, failure: (error as Error).message };
    }
  } finally {
    await Promise.allSettled(managers.map((m) => m.call('stop')));
    await client.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/** Per-thread signing results, recombined per payee (thread w signed the payees p with p mod threads = w). */
export function byPayee(results: readonly Signed[][], chain: number, threads: number): { registrations: Uint8Array[]; settles: Uint8Array[][] } {
  const registrations: Uint8Array[] = [];
  const settles: Uint8Array[][] = [];
  for (let p = 0; p < PAYEES; p++) {
    const w = p % threads;
    const j = Math.floor(p / threads);
    registrations.push(results[w]![chain]!.registrations[j]!);
    settles.push(results[w]![chain]!.settles[j]!);
  }
  return { registrations, settles };
}
