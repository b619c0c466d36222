/**
 * The ACP simulator with sampled committees (n = 20…64: potential committee = 32 lowest weights, final committee
 * by VRF with E = 16): 90 seeds with every Byzantine kind. Safety is asserted in every round whose final
 * committee has fewer than a third Byzantine members and whose two quorums must share an honest member; the
 * share of rounds whose committee reached a third Byzantine is printed next to the hypergeometric expectation.
 */
import { describe, expect, it } from 'vitest';
import { runChecked, scenarioFor, seedsToRun } from '../../../support/consensus-scenarios.ts';

describe('ACP simulator, sampled committees (long)', () => {
  it('90 seeds at n = 20…64: safe in good rounds, live, bad-committee share next to its expectation', () => {
    const started = performance.now();
    const seeds = seedsToRun(Array.from({ length: 90 }, (_, i) => 30_000 + i));
    const byF = new Map<string, { rounds: number; third: number; noX: number; expThird: number; expNoX: number; runs: number }>();
    let excused = 0;
    for (const seed of seeds) {
      const r = runChecked(scenarioFor(seed, { sizes: [20, 24, 32, 48, 64], durationMs: 10000 }));
      excused += r.excusedConflicts;
      const c = r.committees;
      expect(c).toBeDefined();
      const key = `n=${r.n} f=${r.f}`;
      const acc = byF.get(key) ?? { rounds: 0, third: 0, noX: 0, expThird: 0, expNoX: 0, runs: 0 };
      acc.rounds += c!.rounds;
      acc.third += c!.thirdByzantine;
      acc.noX += c!.noIntersection;
      acc.expThird += c!.expectedThird * c!.rounds;
      acc.expNoX += c!.expectedNoIntersection * c!.rounds;
      acc.runs += 1;
      byF.set(key, acc);
    }
    const rows = [...byF.entries()].sort().map(
      ([k, a]) =>
        `${k}: ${a.runs} runs, ${a.rounds} rounds, ≥1/3 Byzantine ${(a.third / Math.max(1, a.rounds)).toFixed(3)} ` +
        `(expected ${(a.expThird / Math.max(1, a.rounds)).toFixed(3)}), quorums without an honest intersection ` +
        `${(a.noX / Math.max(1, a.rounds)).toFixed(3)} (expected ${(a.expNoX / Math.max(1, a.rounds)).toFixed(3)})`,
    );
    console.log(
      `ACP long, sampled: ${seeds.length} seeds, ${excused} conflicts in rounds with bad committees, ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s\n${rows.join('\n')}`,
    );
  });
});
