import { describe, expect, it } from 'vitest';
import { defaultParams, demoParams, economics } from '../../../../node/ledger/index.ts';

const { allowanceBudget, blockReward, frozenPart, fundRelease, proportional, proRata, scaledReward, splitFees, splitReward, vested, workReward } =
  economics;

describe('economics', () => {
  it('releases U_r = U_1 · (1 + 0.2 (r − 1))', () => {
    expect(fundRelease(demoParams, 1n)).toBe(6_000_000n);
    expect(fundRelease(demoParams, 2n)).toBe(7_200_000n);
    expect(fundRelease(demoParams, 6n)).toBe(12_000_000n);
    expect(fundRelease(demoParams, 0n)).toBe(0n);
    expect(blockReward(demoParams, 1n)).toBe(1_000_000n);
    expect(blockReward(defaultParams, 1n)).toBe(10_000_000_000_000n / 3_153_600n);
  });

  it('scales M by fullness f = min(1, (C + k) / C_limit), k = C_limit / 10', () => {
    const p = { ...demoParams, blockLimitBytes: 1000n };
    expect(scaledReward(p, 1_000_000n, 0n)).toBe(100_000n);
    expect(scaledReward(p, 1_000_000n, 400n)).toBe(500_000n);
    expect(scaledReward(p, 1_000_000n, 899n)).toBe(999_000n);
    expect(scaledReward(p, 1_000_000n, 900n)).toBe(1_000_000n);
    expect(scaledReward(p, 1_000_000n, 1000n)).toBe(1_000_000n);
    expect(scaledReward(p, 7n, 1n)).toBe(0n); // 7 · 101 / 1000 rounds down
  });

  it('splits 5 : 3 : 2 and the fees ⌊T/2⌋ : rest', () => {
    expect(splitReward(demoParams, 1_000_000n)).toEqual({ miner: 500_000n, leaders: 300_000n, verifiers: 200_000n });
    expect(splitReward(demoParams, 9n)).toEqual({ miner: 4n, leaders: 2n, verifiers: 1n });
    expect(splitFees(demoParams, 200_001n)).toEqual({ miner: 100_000n, pool: 100_001n });
  });

  it('never pays more than a pool holds', () => {
    expect(proRata([500n, 300n], 1000n)).toEqual([500n, 300n]);
    expect(proRata([500n, 300n, 200n], 500n)).toEqual([250n, 150n, 100n]);
    expect(proRata([1n, 1n, 1n], 2n)).toEqual([0n, 0n, 0n]);
    expect(proportional(200_000n, [250n, 750n])).toEqual([50_000n, 150_000n]);
    expect(proportional(10n, [1n, 1n, 1n])).toEqual([3n, 3n, 3n]);
    expect(proportional(10n, [0n, 0n])).toEqual([0n, 0n]);
  });

  it('freezes 20 % and releases it in 30 daily parts, the remainder last', () => {
    expect(frozenPart(demoParams, 3_550_000n)).toBe(710_000n);
    const t = { total: 710_000n, start: 1000n };
    const day = demoParams.dayMs;
    expect(vested(demoParams, t, 1000n)).toBe(0n);
    expect(vested(demoParams, t, 1000n + day - 1n)).toBe(0n);
    expect(vested(demoParams, t, 1000n + day)).toBe(23_666n);
    expect(vested(demoParams, t, 1000n + 29n * day)).toBe(686_314n);
    expect(vested(demoParams, t, 1000n + 30n * day)).toBe(710_000n);
    expect(vested(demoParams, t, 1000n + 300n * day)).toBe(710_000n);
  });

  it('converts received ABIT to work rewards and sizes the chat allowance', () => {
    expect(workReward(500_000_000n)).toBe(500_000n);
    expect(workReward(999n)).toBe(0n);
    expect(allowanceBudget(demoParams, 1n)).toBe(600_000_000n); // 1000 × 6 ABC × 10 % = 600 ABIT
  });
});
