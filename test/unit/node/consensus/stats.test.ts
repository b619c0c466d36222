import { describe, expect, it } from 'vitest';
import { badCommitteeOdds, mean, percentile } from '../../../../node/consensus/sim/stats.ts';

describe('simulator statistics', () => {
  it('percentiles and means', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 100], 99)).toBe(100);
    expect(mean([1, 2, 3])).toBe(2);
    expect(percentile([], 99)).toBe(0);
  });

  it('a whole-ring committee is bad exactly when f ≥ n/3', () => {
    expect(badCommitteeOdds(16, 5, 16, 1, 11).thirdByzantine).toBeCloseTo(0, 12);
    expect(badCommitteeOdds(16, 6, 16, 1, 11).thirdByzantine).toBeCloseTo(1, 12);
  });

  it('the sampled expectation grows with the Byzantine share and sums to a probability', () => {
    const low = badCommitteeOdds(64, 5, 32, 0.5, 11).thirdByzantine;
    const high = badCommitteeOdds(64, 21, 32, 0.5, 11).thirdByzantine;
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThan(0.01);
    expect(high).toBeGreaterThan(0.3);
    expect(high).toBeLessThan(0.7);
    expect(badCommitteeOdds(64, 0, 32, 0.5, 11).thirdByzantine).toBe(0);
  });
});
