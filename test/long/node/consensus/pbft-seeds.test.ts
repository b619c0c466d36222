/**
 * The PBFT baseline at scale: 100 fast-suite seeds at n = 4…16 with silent, silent-when-leading and equivocating
 * nodes (f ≤ ⌊(n−1)/3⌋), partitions that heal, drops and duplicates, and 4 real-crypto seeds through the CBOR
 * codec. A failure names its seed: AME_CONSENSUS_SEED=<n> npm run test:long -- test/long/node/consensus replays it.
 */
import { describe, expect, it } from 'vitest';
import { PBFT_BYZANTINE_KINDS } from '../../../../node/consensus/sim/pbft-byzantine.ts';
import { pbftScenarioFor, runPbftChecked, seedsToRun } from '../../../support/consensus-scenarios.ts';

describe('PBFT baseline simulator (long)', () => {
  it('100 fast-suite seeds at n = 4…16: safe, and live after healing', () => {
    const started = performance.now();
    const seeds = seedsToRun(Array.from({ length: 100 }, (_, i) => 40_000 + i));
    const kinds = new Set<string>();
    let finals = 0;
    let viewChanged = 0;
    let partitions = 0;
    for (const seed of seeds) {
      const scenario = pbftScenarioFor(seed, { sizes: [4, 5, 6, 7, 8, 10, 13, 16], durationMs: 6000 });
      scenario.byzantine.forEach((k) => kinds.add(k));
      if (scenario.partition !== undefined) partitions += 1;
      const r = runPbftChecked(scenario);
      finals += r.finalised;
      viewChanged += r.viewChanged;
    }
    console.log(
      `PBFT long, n=4…16: ${seeds.length} seeds (${partitions} with a partition), ${finals} final blocks, ` +
        `${viewChanged} decided after a view change, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    if (seeds.length > 1) for (const k of PBFT_BYZANTINE_KINDS) expect(kinds).toContain(k);
  });

  it('4 real-crypto seeds (Ed25519 + CBOR codec)', () => {
    for (const seed of seedsToRun([41_000, 41_001, 41_002, 41_003])) {
      expect(runPbftChecked(pbftScenarioFor(seed, { sizes: [4, 7, 10], durationMs: 5000, real: true })).suite).toBe('real');
    }
  });
});
