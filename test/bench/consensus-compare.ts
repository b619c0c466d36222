/**
 * SPEC §7's Byzantine-leader comparison over libp2p on loopback: n members in worker threads (consensus-member.ts),
 * consensus only (opaque values), ACP and the single-leader PBFT baseline (leader rotating every height) on the
 * same hosts. One member is Byzantine and silent whenever it leads. The figure is the mean latency of the rounds
 * that member led, next to the mean of a fault-free run; a round's latency at a member is the time between its
 * first decisions of height h − 1 and h, averaged over the honest members (the simulator's definition,
 * sim/timing.ts). The baseline's view-change timeout is twice the p99 round of a fault-free run whose timeout
 * never fires.
 */
import { sha256, utf8 } from '../../node/crypto/index.ts';
import { leaderOf } from '../../node/consensus/pbft/types.ts';
import type { PeerRef } from '../../node/net/index.ts';
import type { Protocol, RunRequest, RunResult } from './consensus-member.ts';
import type { BenchThread, ThreadPool } from './consensus-threads.ts';
import { mean, percentile } from './stats.ts';

export interface ComparePlan {
  readonly n: number;
  /** The Byzantine member. */
  readonly byzantine: number;
  /** Heights of each fault-free run, after the skipped first ones. */
  readonly acpHeights: number;
  readonly pbftHeights: number;
  /** Byzantine runs last until the silent member led this many rounds. */
  readonly ledRounds: number;
  readonly log: (line: string) => void;
}

export interface Figures {
  readonly faultFreeMeanMs: number;
  readonly faultFreeP50Ms: number;
  readonly ledMeanMs: number;
  readonly ledRounds: number;
  /** Byzantine run, the rounds the silent member did not lead. */
  readonly otherMeanMs: number;
}

export interface CompareResult {
  readonly acp: Figures;
  readonly pbft: Figures & { readonly calibrationP99Ms: number; readonly viewTimeoutMs: number; readonly viewChanges: number };
}

/** Heights below this are start-up (members start a few ms apart) and not counted. */
const SKIP = 3;
const RUN_CAP_MS = 90_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  /** Height → mean latency over the honest members. */
  readonly latency: Map<number, number>;
  readonly led: readonly number[];
}

class Ring {
  readonly #members: BenchThread[];
  readonly #peers: PeerRef[];
  #runs = 0;

  constructor(members: BenchThread[], peers: PeerRef[]) {
    this.#members = members;
    this.#peers = peers;
  }

  /** One run: every member starts; it ends when `done(honest prefix, led)` holds. */
  async run(protocol: Protocol, byzantine: number | undefined, done: (prefix: number, led: number) => boolean, viewTimeoutMs?: number): Promise<Run> {
    const tag = `consensus bench ${protocol} run ${this.#runs++}`;
    const request = (index: number): RunRequest => ({
      protocol,
      tag,
      index,
      peers: this.#peers,
      byzantine: index === byzantine,
      ...(viewTimeoutMs === undefined ? {} : { viewTimeoutMs }),
    });
    await Promise.all(this.#members.map((m, i) => m.call('run', request(i))));
    const start = performance.now();
    const honest = this.#members.map((_, i) => i).filter((i) => i !== byzantine);
    for (;;) {
      await sleep(100);
      const prefix = Math.min(...(await Promise.all(honest.map((i) => this.#members[i]!.call<number>('status')))));
      const led = byzantine === undefined ? 0 : await this.#members[byzantine]!.call<number>('led');
      if (done(prefix, led)) break;
      if (performance.now() - start > RUN_CAP_MS) throw new Error(`${tag}: only ${prefix} heights after ${RUN_CAP_MS} ms`);
    }
    const results = await Promise.all(this.#members.map((m) => m.call<RunResult>('halt')));
    // Messages still in flight reach halted reactors and are refused; let them drain before the next run.
    await sleep(300);
    return { latency: latencyByHeight(honest.map((i) => new Map(results[i]!.decided))), led: byzantine === undefined ? [] : results[byzantine]!.led };
  }
}

/** Height → mean over members of (decided h − decided h − 1), for the heights every member decided. */
function latencyByHeight(times: readonly Map<number, number>[]): Map<number, number> {
  const out = new Map<number, number>();
  const top = Math.min(...times.map((t) => Math.max(0, ...t.keys())));
  for (let h = SKIP + 1; h <= top; h++) {
    const each = times.map((t) => (t.get(h) ?? Number.NaN) - (t.get(h - 1) ?? Number.NaN));
    if (each.every(Number.isFinite)) out.set(h, mean(each));
  }
  return out;
}

function figures(faultFree: Run, byz: Run, led: (h: number) => boolean): Figures {
  const free = [...faultFree.latency.values()];
  const ledMs = [...byz.latency].filter(([h]) => led(h)).map(([, ms]) => ms);
  const other = [...byz.latency].filter(([h]) => !led(h)).map(([, ms]) => ms);
  return {
    faultFreeMeanMs: mean(free),
    faultFreeP50Ms: percentile(free, 50),
    ledMeanMs: mean(ledMs),
    ledRounds: ledMs.length,
    otherMeanMs: mean(other),
  };
}

export async function compareLeaders(plan: ComparePlan, pool: ThreadPool): Promise<CompareResult> {
  const { n, byzantine: b, log } = plan;
  const members = await pool.take(n);
  try {
    await Promise.all(members.map((m, i) => m.call('become', { role: 'member', hostSeed: sha256(utf8(`consensus bench member ${i}`)) })));
    const peers = await Promise.all(members.map((m) => m.call<PeerRef>('peer')));
    await Promise.all(members.map((m) => m.call('connect', { peers })));
    const ring = new Ring(members, peers);
    const heights = (k: number) => (prefix: number) => prefix >= SKIP + k;

    const acpFree = await ring.run('acp', undefined, heights(plan.acpHeights));
    log(`n = ${n}: ACP fault-free, ${acpFree.latency.size} rounds`);
    const acpByz = await ring.run('acp', b, (prefix, led) => led >= plan.ledRounds + 1 && prefix >= SKIP + 2);
    const acpLed = new Set(acpByz.led);
    const acp = figures(acpFree, acpByz, (h) => acpLed.has(h));
    log(`n = ${n}: ACP with member ${b} silent when leading, ${acp.ledRounds} rounds led by it`);

    // The baseline's timeout: twice the p99 round of a fault-free run whose view timer never fires.
    const calibration = await ring.run('pbft', undefined, heights(plan.pbftHeights), 60_000);
    const calibrationP99Ms = percentile([...calibration.latency.values()], 99);
    const viewTimeoutMs = Math.max(1, Math.ceil(2 * calibrationP99Ms));
    const pbftFree = await ring.run('pbft', undefined, heights(plan.pbftHeights), viewTimeoutMs);
    const ledByB = (h: number) => leaderOf(h, 0, n) === b;
    const pbftByz = await ring.run('pbft', b, heights(plan.ledRounds * n + n), viewTimeoutMs);
    const pbft = figures(pbftFree, pbftByz, ledByB);
    log(`n = ${n}: PBFT p99 ${calibrationP99Ms.toFixed(1)} ms → view timeout ${viewTimeoutMs} ms; ${pbft.ledRounds} rounds led by member ${b}`);
    const viewChanges = [...pbftFree.latency.values()].filter((ms) => ms > viewTimeoutMs).length;
    return { acp, pbft: { ...pbft, calibrationP99Ms, viewTimeoutMs, viewChanges } };
  } finally {
    await Promise.allSettled(members.map((m) => m.call('stop')));
  }
}
