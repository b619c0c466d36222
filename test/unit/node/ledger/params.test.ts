import { describe, expect, it } from 'vitest';
import {
  defaultParams,
  demoParams,
  LedgerError,
  MAX_UPTIME_DAYS,
  PARAM_NAMES,
  validateParams,
  withParam,
} from '../../../../node/ledger/index.ts';

function codeAndField(fn: () => unknown): [string, string | undefined] | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof LedgerError) return [error.code, error.field];
    throw error;
  }
  return undefined;
}

describe('ledger parameters', () => {
  it('accepts the default and demo sets, with the §7 numbers', () => {
    expect(validateParams(defaultParams)).toBe(defaultParams);
    expect(validateParams(demoParams)).toBe(demoParams);
    expect(defaultParams.depositManager).toBe(10_000_000_000n);
    expect(defaultParams.depositWorker).toBe(100_000_000n);
    expect(defaultParams.depositTemporary).toBe(0n);
    expect([defaultParams.minerParts, defaultParams.leaderParts, defaultParams.verifierParts]).toEqual([5n, 3n, 2n]);
    expect(defaultParams.optionFreezeBps).toBe(2_000n);
    expect(defaultParams.optionDays).toBe(30n);
    expect(defaultParams.releaseGrowthBps).toBe(2_000n);
    expect(defaultParams.allowanceShareBps).toBe(1_000n);
    expect(defaultParams.allowanceMinHolding).toBe(10_000_000n);
    // Promotion (SPEC §6 item 6): 10,000 served, ≥ 99 % of ≥ 20 audits, mean score ≥ 80, uptime ≥ 95 % over 7 days.
    expect(defaultParams.promotionMinServed).toBe(10_000n);
    expect(defaultParams.promotionMinAudits).toBe(20n);
    expect(defaultParams.promotionAuditPassBps).toBe(9_900n);
    expect(defaultParams.promotionMinScore).toBe(80n);
    expect(defaultParams.promotionUptimeBps).toBe(9_500n);
    expect(defaultParams.uptimeWindowDays).toBe(7n);
    expect([demoParams.promotionMinServed, demoParams.promotionMinAudits]).toEqual([10n, 3n]);
  });

  it('range-checks the promotion rules (a score is out of 100, a window holds at most MAX_UPTIME_DAYS days)', () => {
    expect(codeAndField(() => withParam(demoParams, 'promotionMinScore', 101n))).toEqual(['BAD_PARAMS', 'params.promotionMinScore']);
    expect(codeAndField(() => withParam(demoParams, 'promotionAuditPassBps', 10_001n))).toEqual([
      'BAD_PARAMS',
      'params.promotionAuditPassBps',
    ]);
    expect(codeAndField(() => withParam(demoParams, 'promotionUptimeBps', 10_001n))).toEqual(['BAD_PARAMS', 'params.promotionUptimeBps']);
    expect(codeAndField(() => withParam(demoParams, 'uptimeWindowDays', 0n))).toEqual(['BAD_PARAMS', 'params.uptimeWindowDays']);
    expect(withParam(demoParams, 'uptimeWindowDays', BigInt(MAX_UPTIME_DAYS)).uptimeWindowDays).toBe(365n);
    expect(codeAndField(() => withParam(demoParams, 'uptimeWindowDays', BigInt(MAX_UPTIME_DAYS) + 1n))?.[0]).toBe('BAD_PARAMS');
    expect(withParam(demoParams, 'promotionMinServed', 0n).promotionMinServed).toBe(0n);
  });

  it('names the field of a value out of range, an unknown name and a non-bigint', () => {
    expect(codeAndField(() => validateParams({ ...demoParams, blocksPerPeriod: 0n }))).toEqual([
      'BAD_PARAMS',
      'params.blocksPerPeriod',
    ]);
    expect(codeAndField(() => validateParams({ ...demoParams, optionFreezeBps: 10_001n }))).toEqual([
      'BAD_PARAMS',
      'params.optionFreezeBps',
    ]);
    expect(codeAndField(() => validateParams({ ...demoParams, bogus: 1n } as never))).toEqual(['BAD_PARAMS', 'params.bogus']);
    expect(codeAndField(() => validateParams({ ...demoParams, dayMs: 5 } as never))).toEqual(['BAD_PARAMS', 'params.dayMs']);
    expect(codeAndField(() => validateParams({ ...demoParams, minerParts: 0n, leaderParts: 0n, verifierParts: 0n }))).toEqual([
      'BAD_PARAMS',
      'params.minerParts',
    ]);
  });

  it('changes one parameter by name', () => {
    expect(withParam(demoParams, 'minFee', 5n).minFee).toBe(5n);
    expect(codeAndField(() => withParam(demoParams, 'nope', 5n))).toEqual(['BAD_FIELD', 'body.name']);
    expect(codeAndField(() => withParam(demoParams, 'optionDays', 0n))?.[0]).toBe('BAD_PARAMS');
    expect(PARAM_NAMES.length).toBeGreaterThan(20);
  });
});
