import { describe, expect, it } from 'vitest';
import { describeReport, runChecked, scenarioFor, seedsToRun } from '../../../support/consensus-scenarios.ts';

// A few dozen seeds of the long suite's mix, at n = 4…16 plus one sampled ring, fast enough for `npm test`.
describe('ACP simulator (integration seeds)', () => {
  it('is safe and live at n = 4…16 with every Byzantine kind, partitions, drops and duplicates', () => {
    const seeds = seedsToRun(Array.from({ length: 32 }, (_, i) => 1000 + i));
    let finals = 0;
    for (const seed of seeds) finals += runChecked(scenarioFor(seed, { sizes: [4, 5, 7, 10], durationMs: 9000 })).finalised;
    expect(finals).toBeGreaterThan(seeds.length * 3);
  });

  it('runs with the real crypto suite (Ed25519, ECVRF) and the CBOR codec', () => {
    for (const seed of seedsToRun([2000, 2001])) {
      const r = runChecked(scenarioFor(seed, { sizes: [4, 7], durationMs: 6000, real: true }));
      expect(r.suite).toBe('real');
    }
  });

  it('reports the share of sampled committees with a third Byzantine next to the expectation', () => {
    const r = runChecked({ ...scenarioFor(3000, { sizes: [40], durationMs: 9000 }), byzantine: Array(10).fill('silent') });
    expect(r.committees).toBeDefined();
    console.log(describeReport(r), r.committees);
  });
});
