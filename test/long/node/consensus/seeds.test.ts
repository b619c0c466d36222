/**
 * The ACP simulator at scale, rings of 4…16 (whole-ring committees): 900 seeds with the fast crypto suite and
 * 24 with the real one (Ed25519, RFC 9381 ECVRF, every message through the CBOR codec), f ≤ ⌊(n−1)/3⌋
 * Byzantine nodes of every kind, partitions that heal, drops and duplicates. A failure names its seed:
 * AME_CONSENSUS_SEED=<n> npm run test:long -- test/long/node/consensus replays it.
 */
import { describe, expect, it } from 'vitest';
import { BYZANTINE_KINDS } from '../../../../node/consensus/sim/byzantine.ts';
import { runChecked, scenarioFor, seedsToRun } from '../../../support/consensus-scenarios.ts';

const SMALL = [4, 5, 6, 7, 8, 10, 13, 16];

describe('ACP simulator, whole-ring committees (long)', () => {
  it('900 fast-suite seeds at n = 4…16: safe, tentative blocks confirmed only by final successors, live after healing', () => {
    const started = performance.now();
    const seeds = seedsToRun(Array.from({ length: 900 }, (_, i) => 10_000 + i));
    const kinds = new Set<string>();
    let finals = 0;
    let tentative = 0;
    let partitions = 0;
    for (const seed of seeds) {
      const scenario = scenarioFor(seed, { sizes: SMALL, durationMs: 7000 });
      scenario.byzantine.forEach((k) => kinds.add(k));
      if (scenario.partition !== undefined) partitions += 1;
      const r = runChecked(scenario);
      finals += r.finalised + r.empty;
      tentative += r.tentative;
    }
    console.log(
      `ACP long, n=4…16: ${seeds.length} seeds (${partitions} with a partition), ${finals} final blocks, ` +
        `${tentative} tentative rounds, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    if (seeds.length > 1) for (const k of BYZANTINE_KINDS) expect(kinds).toContain(k);
  });

  it('24 real-crypto seeds at n ≤ 16 (Ed25519 + ECVRF + CBOR codec)', () => {
    const started = performance.now();
    const seeds = seedsToRun(Array.from({ length: 24 }, (_, i) => 20_000 + i));
    for (const seed of seeds) {
      const r = runChecked(scenarioFor(seed, { sizes: seed % 6 === 0 ? [16] : [4, 5, 7], durationMs: 7000, real: true }));
      expect(r.suite).toBe('real');
    }
    console.log(`ACP long, real crypto: ${seeds.length} seeds, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  });
});
