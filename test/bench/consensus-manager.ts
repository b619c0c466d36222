/**
 * A manager server in a worker thread of the consensus bench: its own libp2p host on 127.0.0.1, store file,
 * ledger, mempool and ACP reactor — `ManagerServer` as node/manager builds it, driven only through its public API.
 *
 * Rounds are seen through the clock the server is given: ACP starts a round by arming its proposal-wait timer and,
 * right after it, its SBR timer (AcpNode.#startRound; the reactor arms both in one go), so a clock call with the
 * SBR delay that immediately follows one with the proposal-wait delay is a round start. A round restarted at the
 * same height (its head moved before it voted) re-arms both after clearing the old ones and is not counted.
 *
 * Where the time goes is measured by wrapping the server's costly steps — `Ledger.propose` (block building),
 * `Ledger.apply`, `Mempool.submit` (admission) and the ECVRF it is given — and counting calls and thread CPU time.
 * Diagnostics: AME_BENCH_PROFILE=<index> (a V8 CPU profile of that manager), AME_BENCH_TRACE=<index> (its round
 * starts, ACP messages and costly steps on stdout), AME_BENCH_VRF_MEMO=1 (memoised ECVRF verification).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { decodeAcpMessage } from '../../node/consensus/codec.ts';
import { ACP_METHOD } from '../../node/consensus/reactor.ts';
import { DEFAULT_ACP_PARAMS, DEFAULT_VALUE_WAIT_MS } from '../../node/consensus/acp/params.ts';
import { Ed25519KeyPair, toHex, vrfProofToHash, vrfProve, vrfVerify } from '../../node/crypto/index.ts';
import type { GenesisConfig } from '../../node/ledger/index.ts';
import { ManagerServer } from '../../node/manager/index.ts';
import { type Clock, type ClockTimer, type Host, type PeerRef, systemClock } from '../../node/net/index.ts';
import { connectAll, notify } from './consensus-threads.ts';

/** AME_BENCH_TRACE=<manager index>: that manager prints its round starts and costly steps, for diagnosis. */
let tracing = false;
const traceStart = performance.now();
function trace(line: string): void {
  if (tracing) process.stdout.write(`[${(performance.now() - traceStart).toFixed(0)}] ${line}\n`);
}

export interface ManagerWorkerData {
  readonly role: 'manager';
  readonly index: number;
  readonly seed: Uint8Array;
  readonly genesis: GenesisConfig;
  readonly storeDir: string;
  /** The payees' payout addresses and the client's address: what progress counts. */
  readonly payees: readonly string[];
  readonly client: string;
  /** Send `progress` notices every 100 ms (one manager does, for the submitter). */
  readonly progress: boolean;
}

/** Ledger progress at this manager's last final state. */
export interface Progress {
  /** Settles applied: the payees' nonces past their registration. */
  readonly settles: number;
  /** Payees whose registration is applied. */
  readonly registered: number;
  readonly clientNonce: number;
  readonly height: number;
  readonly mempool: number;
}

export interface WindowResult {
  readonly ms: number;
  /** Share of the window this manager's thread was busy (event-loop utilisation: waiting for a core counts). */
  readonly busy: number;
  /** CPU time of this manager's thread in the window, in cores (1 = a whole core all along). */
  readonly cores: number;
  readonly work: Work;
  readonly settles: number;
  readonly blocks: number;
  /**
   * Settles final per second from the first to the last block this manager applied in the window (undefined with
   * fewer than two): with large blocks a fixed window holds a few of them, and counting whole blocks in it would
   * swing by one block's settles.
   */
  readonly blockRate: number | undefined;
  /** Durations of the rounds that started and ended inside the window. */
  readonly rounds: number[];
  readonly skipped: number;
  readonly proposed: number;
}

/** A system clock that notes when ACP starts a round (see the module comment). */
class RoundClock implements Clock {
  readonly starts: number[] = [];
  #previousDelay: number | undefined;

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    // A round arms its proposal wait (or, without a value yet, the bound on waiting for it), then SBR — each
    // times the node's timeout scale (acp/timeouts.ts: rounded to the millisecond), the same for both.
    const { proposalWaitMs, sbrMs } = DEFAULT_ACP_PARAMS;
    const wait = this.#previousDelay;
    const scale = ms / sbrMs;
    const scaled = (base: number) => wait !== undefined && Math.abs(wait - Math.round(base * scale)) <= 1;
    if (scale >= 1 && Number.isInteger(ms) && (scaled(proposalWaitMs) || scaled(proposalWaitMs + DEFAULT_VALUE_WAIT_MS))) {
      this.starts.push(performance.now());
      trace(`round start (timeout scale ${scale.toFixed(2)})`);
    }
    this.#previousDelay = ms;
    return systemClock.setTimeout(fn, ms);
  }

  clearTimeout(timer: ClockTimer): void {
    this.#previousDelay = undefined;
    systemClock.clearTimeout(timer);
  }
}

/**
 * The ECVRF verification the managers get: node/crypto's, or with AME_BENCH_VRF_MEMO=1 one that remembers its
 * results (what `realSuite(vrf, {memoize: true})` does) — an experiment for the lead, off by default.
 */
function verifier(): typeof vrfVerify {
  if (process.env['AME_BENCH_VRF_MEMO'] !== '1') return vrfVerify;
  const memo = new Map<string, Uint8Array | undefined>();
  return (publicKey, proof, alpha) => {
    const key = `${toHex(publicKey)}${toHex(proof)}${toHex(alpha)}`;
    if (memo.has(key)) return memo.get(key);
    if (memo.size > 100_000) memo.clear();
    const output = vrfVerify(publicKey, proof, alpha);
    memo.set(key, output);
    return output;
  };
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** A V8 CPU profile of this thread (AME_BENCH_PROFILE=<manager index>), written when the manager stops. */
class ThreadProfile {
  readonly #session = new Session();

  constructor() {
    this.#session.connect();
    this.#session.post('Profiler.enable');
    this.#session.post('Profiler.start');
  }

  stop(path: string): Promise<void> {
    return new Promise((resolve) => {
      this.#session.post('Profiler.stop', (err, result) => {
        if (err === null) writeFileSync(path, JSON.stringify(result.profile));
        resolve();
      });
    });
  }
}

/** Where a manager's time goes: calls and CPU milliseconds of its costly steps (counted by wrapping them). */
export interface Work {
  /** `Ledger.propose` calls (block building, retries included) and their time; how many threw (a retry follows). */
  builds: number;
  buildErrors: number;
  buildMs: number;
  /** `Ledger.apply` calls (decided blocks) and their time. */
  applies: number;
  applyMs: number;
  /** `Mempool.submit` calls (clients' and gossiped transactions) and their time. */
  admissions: number;
  admitMs: number;
  vrfVerifies: number;
  vrfVerifyMs: number;
  vrfProves: number;
  vrfProveMs: number;
}

const noWork = (): Work => ({ builds: 0, buildErrors: 0, buildMs: 0, applies: 0, applyMs: 0, admissions: 0, admitMs: 0, vrfVerifies: 0, vrfVerifyMs: 0, vrfProves: 0, vrfProveMs: 0 });

/**
 * `f`, counted into `work[calls]` and timed into `work[ms]` — in CPU time of this thread, so the figure is the work
 * done, not the time spent waiting for a core — and `work[errors]` when it throws.
 */
function counted<A extends unknown[], R>(f: (...args: A) => R, work: Work, calls: keyof Work, ms: keyof Work, errors?: keyof Work): (...args: A) => R {
  return (...args) => {
    const start = process.threadCpuUsage();
    try {
      return f(...args);
    } catch (error) {
      if (errors !== undefined) work[errors] += 1;
      throw error;
    } finally {
      const spent = cpuMs(process.threadCpuUsage(start));
      work[calls] += 1;
      work[ms] += spent;
      trace(`${String(calls)} ${spent.toFixed(0)} ms`);
    }
  };
}

/** With AME_BENCH_TRACE: the server's log lines (debug included) on the trace. */
const traceLogger = {
  debug: (obj: object, msg?: string) => trace(`${msg ?? ''} ${JSON.stringify(obj, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`),
  info: (obj: object, msg?: string) => trace(`${msg ?? ''} ${JSON.stringify(obj, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`),
  warn: (obj: object, msg?: string) => trace(`WARN ${msg ?? ''} ${JSON.stringify(obj, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`),
};

/** One ACP message on the trace: kind, height, sender, and the ids it names (first 6 bytes). */
function describe(m: ReturnType<typeof decodeAcpMessage>): string {
  const hex = (b: Uint8Array | undefined) => (b === undefined ? '-' : toHex(b).slice(0, 12));
  const parts: string[] = [m.kind, 'height' in m ? String(m.height) : '', 'from' in m ? `from ${m.from}` : ''];
  if (m.kind === 'proposal') parts.push(`value ${hex(m.valueHash)} prev ${hex(m.prev)} ${m.size} bytes`);
  if (m.kind === 'vote') parts.push(`step ${m.step} id ${hex(m.id)}`);
  if (m.kind === 'preprepare') parts.push(`id ${hex(m.id)} prev ${hex(m.prev)}`);
  if (m.kind === 'prepare') parts.push(`leader ${m.leader} id ${hex(m.id)}`);
  if (m.kind === 'commit') parts.push(`id ${hex(m.id)}`);
  return parts.join(' ');
}

export function managerHandlers(data: ManagerWorkerData, host: Host) {
  tracing = process.env['AME_BENCH_TRACE'] === String(data.index);
  const clock = new RoundClock();
  const work = noWork();
  let server: ManagerServer | undefined;
  let profile: ThreadProfile | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  /** The state at `window-start`. */
  /** When each block was applied, with the settles final at that moment. */
  const applied: { at: number; settles: number }[] = [];
  let mark = { at: 0, settles: 0, height: 0, skipped: 0, proposed: 0, work: noWork(), elu: performance.eventLoopUtilization(), cpu: process.threadCpuUsage() };

  const progress = (): Progress => {
    const view = server!.ledger.finalView();
    let settles = 0;
    let registered = 0;
    for (const address of data.payees) {
      const nonce = Number(view.account(address).nonce);
      if (nonce >= 1) registered += 1;
      settles += Math.max(0, nonce - 1);
    }
    const head = server!.head();
    return { settles, registered, clientNonce: Number(view.account(data.client).nonce), height: Number(head.height), mempool: server!.mempool.size };
  };

  if (tracing) {
    // Each ACP message this manager sends, once (a broadcast sends the same bytes to every member).
    const request = host.rpc.request.bind(host.rpc);
    const seen = new WeakSet<Uint8Array>();
    (host.rpc as { request: typeof request }).request = (peer, method, body, options) => {
      if (method === ACP_METHOD && !seen.has(body)) {
        seen.add(body);
        const m = decodeAcpMessage(body);
        trace(`sent ${describe(m)}`);
      }
      return request(peer, method, body, options);
    };
    const handle = host.rpc.handle.bind(host.rpc);
    (host.rpc as { handle: typeof handle }).handle = (method, handler) =>
      handle(method, method !== ACP_METHOD ? handler : (body, ctx) => {
        trace(`got ${describe(decodeAcpMessage(body))}`);
        return handler(body, ctx);
      });
  }
  return {
    peer: () => host.peer,
    connect: async ({ peers }: { peers: PeerRef[] }) => {
      await connectAll(host, peers);
      server = new ManagerServer({
        host,
        nodeKey: Ed25519KeyPair.fromSeed(data.seed),
        seed: data.seed,
        index: data.index,
        peers,
        genesis: data.genesis,
        storePath: join(data.storeDir, `manager-${data.index}.sqlite`),
        vrf: { prove: counted(vrfProve, work, 'vrfProves', 'vrfProveMs'), verify: counted(verifier(), work, 'vrfVerifies', 'vrfVerifyMs'), proofToHash: vrfProofToHash },
        clock,
        ...(tracing ? { logger: traceLogger } : {}),
      });
      const { ledger, mempool } = server;
      ledger.propose = counted(ledger.propose.bind(ledger), work, 'builds', 'buildMs', 'buildErrors');
      const apply = counted(ledger.apply.bind(ledger), work, 'applies', 'applyMs');
      ledger.apply = (...args) => {
        const result = apply(...args);
        applied.push({ at: performance.now(), settles: progress().settles });
        return result;
      };
      mempool.submit = counted(mempool.submit.bind(mempool), work, 'admissions', 'admitMs');
      return true;
    },
    start: () => {
      if (process.env['AME_BENCH_PROFILE'] === String(data.index)) profile = new ThreadProfile();
      server!.start();
      if (data.progress) ticker = setInterval(() => notify('progress', progress()), 100);
      return true;
    },
    progress,
    'window-start': () => {
      const p = progress();
      const s = server!.stats();
      mark = { at: performance.now(), settles: p.settles, height: p.height, skipped: s.skipped, proposed: s.proposed, work: { ...work }, elu: performance.eventLoopUtilization(), cpu: process.threadCpuUsage() };
      return true;
    },
    'window-end': (): WindowResult => {
      const now = performance.now();
      const p = progress();
      const s = server!.stats();
      const inside = clock.starts.filter((t) => t >= mark.at && t <= now);
      const blocks = applied.filter((b) => b.at >= mark.at && b.at <= now);
      const [first, last] = [blocks[0], blocks.at(-1)];
      applied.splice(0, applied.length - 1);
      return {
        ms: now - mark.at,
        busy: performance.eventLoopUtilization(mark.elu).utilization,
        cores: cpuMs(process.threadCpuUsage(mark.cpu)) / (now - mark.at),
        work: Object.fromEntries(Object.entries(work).map(([k, v]) => [k, v - mark.work[k as keyof Work]])) as unknown as Work,
        settles: p.settles - mark.settles,
        blocks: p.height - mark.height,
        blockRate: first !== undefined && last !== undefined && last.at > first.at ? ((last.settles - first.settles) * 1000) / (last.at - first.at) : undefined,
        rounds: inside.slice(1).map((t, i) => t - inside[i]!),
        skipped: s.skipped - mark.skipped,
        proposed: s.proposed - mark.proposed,
      };
    },
    stop: async () => {
      await profile?.stop(join(data.storeDir, '..', `ame-consensus-manager-${data.index}-n${data.genesis.managers.length}.cpuprofile`));
      if (ticker !== undefined) clearInterval(ticker);
      server?.stop();
      await host.stop();
      return true;
    },
  };
}
