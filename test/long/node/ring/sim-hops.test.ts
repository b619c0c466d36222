/**
 * Issue "Done when": ≤ 2 hops for 1,000,000 sampled pairs at N = 32,768, the whitepaper's upper bound (§1.2.8),
 * routing with slices only, and ≈ 2√N routing entries per Unity. About 10 s on one core.
 */
import { describe, expect, it } from 'vitest';
import { routingTableSize } from '../../../../node/ring/index.ts';
import { simulateHops } from '../../../../node/ring/sim/hops.ts';
import { describeReport } from '../../../support/hops-report.ts';

describe('two-hop routing at the upper bound', () => {
  it('routes 1,000,000 sampled pairs of 32,768 Unities in ≤ 2 hops', () => {
    const start = performance.now();
    const report = simulateHops({ n: 32_768, seed: 'long-32768', pairs: 1_000_000, serversPerUnity: 6 });
    const ms = performance.now() - start;
    console.log(describeReport(report, ms));
    expect(report.pairs).toBe(1_000_000);
    expect(report.maxHops).toBeLessThanOrEqual(2);
    expect(report.misrouted).toBe(0);
    expect(report.unfinished).toBe(0);
    expect(report.g).toBe(182);
    expect(report.routingEntriesPerUnity.max).toBe(routingTableSize(32_768));
    expect(report.routingEntriesPerUnity.min).toBe(361);
    expect(report.unitiesMeasured).toBeGreaterThan(32_000);
    expect(ms).toBeLessThan(60_000);
  });
});
