/**
 * The Byzantine-leader comparison of SPEC §7: one node of the ring is Byzantine and silent whenever it leads; the
 * figure is the mean virtual latency of the rounds in which it was a leader, next to the fault-free mean. For ACP
 * a round counts when the node is one of the parallel leaders with a valid output it would have had (the lowest
 * VRF outputs of the final committee); ACP's `silent-leader` node takes part honestly — it proposes, so the
 * proposal wait can end early as in a fault-free round — and goes quiet at a height once it is about to send the
 * pre-prepare of an instance it leads. For the baseline the node leads the heights where
 * (height + 0) mod n is its index, and the view-change timeout is twice the measured fault-free p99 round.
 */
import { leaderOf } from '../pbft/types.ts';
import type { NetworkFaults } from './network.ts';
import { runAcp } from './run-acp.ts';
import { runPbft } from './run-pbft.ts';
import { mean, percentile } from './stats.ts';

export interface LeaderFigures {
  readonly faultFreeMeanMs: number;
  readonly leaderRoundsMeanMs: number;
  /** Rounds (heights × seeds) in which the silent node was a leader. */
  readonly leaderRounds: number;
  readonly ratio: number;
}

export interface LeaderComparison {
  readonly n: number;
  readonly seeds: number;
  readonly acp: LeaderFigures;
  readonly pbft: LeaderFigures & { readonly faultFreeP99Ms: number; readonly viewTimeoutMs: number };
}

export interface ComparisonOptions {
  readonly seeds: readonly number[];
  readonly n?: number;
  readonly durationMs?: number;
  readonly faults?: Partial<NetworkFaults>;
}

/** Links of the comparison: 2–40 ms, no losses or duplicates, so the figures measure the protocols. */
const CLEAN: Partial<NetworkFaults> = { minDelayMs: 2, maxDelayMs: 40, dropRate: 0, duplicateRate: 0 };

function figures(faultFree: readonly number[], led: readonly number[]): LeaderFigures {
  const faultFreeMeanMs = mean(faultFree);
  const leaderRoundsMeanMs = mean(led);
  return { faultFreeMeanMs, leaderRoundsMeanMs, leaderRounds: led.length, ratio: faultFreeMeanMs > 0 ? leaderRoundsMeanMs / faultFreeMeanMs : 0 };
}

export function byzantineLeaderComparison(options: ComparisonOptions): LeaderComparison {
  const n = options.n ?? 6;
  const durationMs = options.durationMs ?? 10_000;
  const faults = { ...CLEAN, ...options.faults };
  const base = { n, durationMs, faults };

  const acpFree: number[] = [];
  const acpLed: number[] = [];
  for (const seed of options.seeds) {
    acpFree.push(...runAcp({ ...base, seed, byzantine: [] }).latencyByHeight.values());
    const r = runAcp({ ...base, seed, byzantine: ['silent-leader'] });
    const silent = r.byzantineNodes[0]!;
    for (const [h, ms] of r.latencyByHeight) if (r.leadersByHeight.get(h)?.includes(silent) === true) acpLed.push(ms);
  }

  // The baseline's fault-free rounds, with a timeout that never fires, give the p99 the view change waits twice.
  const unfired: number[] = [];
  for (const seed of options.seeds) {
    unfired.push(...runPbft({ ...base, seed, byzantine: [], params: { viewTimeoutMs: durationMs } }).latencyByHeight.values());
  }
  const faultFreeP99Ms = percentile(unfired, 99);
  const viewTimeoutMs = Math.max(1, Math.ceil(2 * faultFreeP99Ms));
  const pbftFree: number[] = [];
  const pbftLed: number[] = [];
  for (const seed of options.seeds) {
    pbftFree.push(...runPbft({ ...base, seed, byzantine: [], params: { viewTimeoutMs } }).latencyByHeight.values());
    const r = runPbft({ ...base, seed, byzantine: ['silent-leader'], params: { viewTimeoutMs } });
    const silent = r.byzantineNodes[0]!;
    for (const [h, ms] of r.latencyByHeight) if (leaderOf(h, 0, n) === silent) pbftLed.push(ms);
  }
  return {
    n,
    seeds: options.seeds.length,
    acp: figures(acpFree, acpLed),
    pbft: { ...figures(pbftFree, pbftLed), faultFreeP99Ms, viewTimeoutMs },
  };
}
