import { describe, expect, it } from 'vitest';
import { defaultParams, demoParams, LedgerError, PARAM_NAMES, validateParams, withParam } from '../../../../node/ledger/index.ts';

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
