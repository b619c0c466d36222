import { describe, expect, it } from 'vitest';
import { routingTableSize } from '../../../../../node/ring/index.ts';
import { simulateHops } from '../../../../../node/ring/sim/hops.ts';

describe('hop simulator', () => {
  it('routes every ordered pair of small rings in ≤ 2 hops to the key’s owner', () => {
    for (const n of [1, 2, 3, 4, 10, 17, 50]) {
      const report = simulateHops({ n, seed: `unit-${n}` });
      expect(report.allPairs).toBe(true);
      expect(report.pairs).toBe(n * (n - 1));
      expect(report.misrouted).toBe(0);
      expect(report.unfinished).toBe(0);
      expect(report.maxHops).toBeLessThanOrEqual(n > 1 ? 2 : 0);
      expect(report.histogram.reduce((a, b) => a + b, 0)).toBe(report.pairs);
      if (n > 1) {
        const exact = routingTableSize(n);
        expect(report.routingEntriesPerUnity).toEqual({ min: exact, mean: exact, max: exact });
        expect(report.unitiesMeasured).toBe(n);
      }
    }
  });

  it('counts one hop for exactly the targets in the source’s tables', () => {
    // Distinct pairs at one hop: every Unity reaches its (g − 1) + ⌊(N − 1)/g⌋ table entries directly.
    const report = simulateHops({ n: 50, seed: 1 });
    expect(report.histogram[1]).toBe(50 * routingTableSize(50));
    expect(report.histogram[2]).toBe(50 * 49 - 50 * routingTableSize(50));
  });

  it('samples pairs from a seed, reproducibly, with a bounded slice cache', () => {
    const a = simulateHops({ n: 3000, seed: 'x', pairs: 5000, sliceCacheSize: 2 });
    const b = simulateHops({ n: 3000, seed: 'x', pairs: 5000, sliceCacheSize: 2 });
    const c = simulateHops({ n: 3000, seed: 'y', pairs: 5000, sliceCacheSize: 2 });
    expect(a.allPairs).toBe(false);
    expect(a.pairs).toBe(5000);
    expect(a.maxHops).toBeLessThanOrEqual(2);
    expect(a.misrouted).toBe(0);
    expect(b).toEqual(a);
    expect(c.histogram).not.toEqual(a.histogram);
  });
});
