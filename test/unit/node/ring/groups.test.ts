import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupSize,
  interTable,
  intraTable,
  nextHop,
  RingError,
  route,
  routingTableSize,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';

/** N in 1…5000 with a source and a target Unity. */
const ringAndPair = fc
  .integer({ min: 1, max: 5000 })
  .chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })));

describe('groups', () => {
  it('computes g = ⌈√N⌉ exactly, also at perfect squares and their neighbours', () => {
    for (const n of [1, 2, 3, 4, 5, 15, 16, 17, 1023, 1024, 1025, 32_767, 32_768, 32_769, 99_980_001]) {
      const g = groupSize(n);
      expect((g - 1) * (g - 1)).toBeLessThan(n);
      expect(g * g).toBeGreaterThanOrEqual(n);
    }
    expect(groupSize(32_768)).toBe(182);
    expect(groupSize(1024)).toBe(32);
  });

  it('reaches every target in at most two hops, each hop taken from the current table', () => {
    fc.assert(
      fc.property(ringAndPair, ([n, u, t]) => {
        const hops = route(u, t, n);
        expect(hops.length).toBeLessThanOrEqual(2);
        expect(hops.length === 0).toBe(u === t);
        if (hops.length > 0) expect(hops[hops.length - 1]).toBe(t);
        let at = u;
        for (const next of hops) {
          const tables = new Set([...intraTable(at, n), ...interTable(at, n)]);
          expect(tables.has(next)).toBe(true);
          at = next;
        }
        // The second hop, when there is one, is always from a counterpart's intra table.
        if (hops.length === 2) expect(intraTable(hops[0]!, n)).toContain(t);
      }),
      { seed: 20, numRuns: 3000 },
    );
  });

  it('goes straight to targets under g and through the counterpart u + ⌊d/g⌋·g otherwise', () => {
    const n = 100; // g = 10
    expect(nextHop(5, 5, n)).toBe(5);
    expect(nextHop(5, 14, n)).toBe(14);
    expect(nextHop(5, 15, n)).toBe(15);
    expect(nextHop(5, 37, n)).toBe(35);
    expect(nextHop(95, 3, n)).toBe(3); // d = 8, across the wrap
    expect(nextHop(95, 20, n)).toBe(15); // d = 25 → 95 + 20
    expect(route(95, 20, n)).toEqual([15, 20]);
  });

  it('holds (g − 1) + ⌊(N − 1)/g⌋ distinct entries, within 2√N − 3 … 2√N', () => {
    fc.assert(
      fc.property(ringAndPair, ([n, u]) => {
        const intra = intraTable(u, n);
        const inter = interTable(u, n);
        const all = new Set([...intra, ...inter]);
        expect(all.size).toBe(intra.length + inter.length);
        expect(all.has(u)).toBe(false);
        expect(all.size).toBe(routingTableSize(n));
        expect(intra).toHaveLength(groupSize(n) - 1);
      }),
      { seed: 21, numRuns: 1000 },
    );
    for (let n = 1; n <= 5000; n++) {
      const size = routingTableSize(n);
      expect(size).toBeLessThanOrEqual(2 * Math.sqrt(n));
      expect(size).toBeGreaterThanOrEqual(2 * Math.sqrt(n) - 3);
    }
  });

  it('refuses rings and indices that do not exist', () => {
    expect(codeOf(() => groupSize(0), RingError)).toBe('UNKNOWN_UNITY');
    expect(codeOf(() => nextHop(0, 4, 4), RingError)).toBe('UNKNOWN_UNITY');
    expect(codeOf(() => intraTable(-1, 4), RingError)).toBe('UNKNOWN_UNITY');
    expect(codeOf(() => interTable(1.5, 4), RingError)).toBe('UNKNOWN_UNITY');
  });
});
