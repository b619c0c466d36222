import { describe, expect, it } from 'vitest';
import { PBFT_BYZANTINE_KINDS } from '../../../../node/consensus/sim/pbft-byzantine.ts';
import { runPbft } from '../../../../node/consensus/sim/run-pbft.ts';
import { pbftScenarioFor, runPbftChecked, seedsToRun } from '../../../support/consensus-scenarios.ts';

describe('PBFT baseline in the simulator (integration seeds)', () => {
  it('is safe and live at n = 4…10 with silent, silent-when-leading and equivocating nodes, partitions, drops', () => {
    const seeds = seedsToRun(Array.from({ length: 36 }, (_, i) => 5000 + i));
    const kinds = new Set<string>();
    let partitions = 0;
    let viewChanged = 0;
    let finals = 0;
    for (const seed of seeds) {
      const scenario = pbftScenarioFor(seed, { sizes: [4, 5, 6, 7, 10], durationMs: 6000 });
      scenario.byzantine.forEach((k) => kinds.add(k));
      if (scenario.partition !== undefined) partitions += 1;
      const r = runPbftChecked(scenario);
      finals += r.finalised;
      viewChanged += r.viewChanged;
    }
    expect(finals).toBeGreaterThan(seeds.length * 5);
    if (seeds.length > 1) {
      for (const k of PBFT_BYZANTINE_KINDS) expect(kinds).toContain(k);
      expect(partitions).toBeGreaterThan(3);
      expect(viewChanged).toBeGreaterThan(seeds.length);
    }
  });

  it('runs with the real crypto suite (Ed25519) and every message through the CBOR codec', () => {
    for (const seed of seedsToRun([6000, 6001])) {
      const r = runPbftChecked(pbftScenarioFor(seed, { sizes: [4, 7], durationMs: 5000, real: true }));
      expect(r.suite).toBe('real');
    }
  });

  it('the checker catches the deliberately broken variant (quorum n/2) and passes the specified quorum', () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const base = { seed, n: 4, byzantine: ['equivocating' as const], durationMs: 6000, partition: { startMs: 500, endMs: 3000 } };
      if (runPbft({ ...base, params: { quorumOverride: 2 } }).violations.some((v) => v.kind === 'conflict')) caught += 1;
      expect(runPbft(base).violations).toEqual([]);
    }
    expect(caught).toBeGreaterThanOrEqual(3);
  });
});
