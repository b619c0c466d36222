/**
 * Issue "Done when": ≤ 2 hops for every pair of Unities at N = 64, 256 and 1,024, routing with slices only, and
 * the routing-table size per Unity (≈ 2√N). Prints the figures docs/ring.md quotes.
 */
import { describe, expect, it } from 'vitest';
import { routingTableSize } from '../../../../node/ring/index.ts';
import { simulateHops } from '../../../../node/ring/sim/hops.ts';
import { describeReport } from '../../../support/hops-report.ts';

describe('two-hop routing over slices', () => {
  for (const n of [64, 256, 1024]) {
    it(`reaches every ordered pair of ${n} Unities in ≤ 2 hops`, () => {
      const start = performance.now();
      const report = simulateHops({ n, seed: `integration-${n}` });
      const ms = performance.now() - start;
      console.log(describeReport(report, ms));
      expect(report.allPairs).toBe(true);
      expect(report.pairs).toBe(n * (n - 1));
      expect(report.maxHops).toBeLessThanOrEqual(2);
      expect(report.misrouted).toBe(0);
      expect(report.unfinished).toBe(0);
      expect(report.unitiesMeasured).toBe(n);
      const exact = routingTableSize(n);
      expect(report.routingEntriesPerUnity).toEqual({ min: exact, mean: exact, max: exact });
      expect(exact).toBeLessThanOrEqual(report.twoSqrtN);
      expect(exact).toBeGreaterThanOrEqual(report.twoSqrtN - 3);
    });
  }
});
