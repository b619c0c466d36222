/**
 * The SPEC §7 formulas of the independent economics model (test/support/economy-rules.ts) reproduce the SPEC's
 * worked example to the micro-unit, one by one.
 */
import { describe, expect, it } from 'vitest';
import { demoParams } from '../../../node/ledger/params.ts';
import { blockPay, blockRewardOf, periodRelease, released, tranche, workRewardOf } from '../../support/economy-rules.ts';

const ABC = 1_000_000n;
const ABIT = 1_000_000n;
const DAY = demoParams.dayMs;

describe('the economics rules', () => {
  it('gives the worked example’s numbers', () => {
    const p = demoParams;
    // M = U_1 / 6 = 1 ABC; a full block (C_final + k ≥ C_limit) pays it whole, an empty one a tenth.
    expect(periodRelease(p, 1n)).toBe(6n * ABC);
    expect(periodRelease(p, 2n)).toBe(7_200_000n);
    expect(blockRewardOf(p, 1n, p.blockLimitBytes - p.blockLimitBytes / 10n)).toBe(ABC);
    expect(blockRewardOf(p, 1n, 0n)).toBe((ABC * (p.blockLimitBytes / 10n)) / p.blockLimitBytes);
    const pay = blockPay(p, ABC, 200_000n, 2, 6);
    expect(pay.miner + pay.minerFee).toBe(600_000n);
    expect(pay.leaderEach).toBe(150_000n);
    expect(pay.voterEach).toBe(33_333n);
    expect(pay.verifiers - 6n * pay.voterEach).toBe(2n);
    expect(pay.feePool).toBe(100_000n);
    // 3 ABC of receipts + 500 ABIT → 0.5 ABC + 0.25 × 0.2 ABC of the fee pool = 3.55 ABC.
    expect(workRewardOf(500n * ABIT)).toBe(500_000n);
    const t = tranche(p, 3_550_000n);
    expect(t).toEqual({ frozen: 710_000n, daily: 23_666n, last: 23_686n });
    expect(released(p, t.frozen, 0n, 29n * DAY)).toBe(29n * 23_666n);
    expect(released(p, t.frozen, 0n, 30n * DAY) - released(p, t.frozen, 0n, 30n * DAY - 1n)).toBe(23_686n);
    expect(released(p, t.frozen, 0n, DAY - 1n)).toBe(0n);
  });
});
