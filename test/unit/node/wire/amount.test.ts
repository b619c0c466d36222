import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as wire from '../../../../node/wire/index.ts';
import { MAX_MICRO, WireError, abcToAbit, formatAmount, parseAmount } from '../../../../node/wire/index.ts';
import { AMOUNT_CODES, amountFuzzInput, attempt } from '../../../support/wire-arbitraries.ts';

const RUNS = 2000;

function badAmount(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).code).toBe('BAD_AMOUNT');
    return (error as WireError).message;
  }
  throw new Error('expected BAD_AMOUNT');
}

describe('amounts', () => {
  it('parses whole units with up to 6 decimals and micro-unit names', () => {
    expect(parseAmount('1.5 ABC')).toEqual({ unit: 'ABC', micro: 1_500_000n });
    expect(parseAmount('250 ABIT')).toEqual({ unit: 'ABIT', micro: 250_000_000n });
    expect(parseAmount('0.000001 ABC')).toEqual({ unit: 'ABC', micro: 1n });
    expect(parseAmount('1500000 a')).toEqual({ unit: 'ABC', micro: 1_500_000n });
    expect(parseAmount('3 bt')).toEqual({ unit: 'ABIT', micro: 3n });
    expect(parseAmount('  2.500000ABC ')).toEqual({ unit: 'ABC', micro: 2_500_000n });
    expect(parseAmount('0 ABIT')).toEqual({ unit: 'ABIT', micro: 0n });
    expect(parseAmount('18446744073709.551615 ABC').micro).toBe(MAX_MICRO);
  });

  it('says what is wrong with a bad amount', () => {
    const cases: [string, RegExp][] = [
      ['1.0000001 ABC', /more than 6 decimals/],
      ['-1 ABC', /cannot be negative/],
      ['+1 ABC', /without a sign/],
      ['1.5', /missing unit/],
      ['ABC', /missing number/],
      ['.5 ABC', /missing digits before/],
      ['1. ABC', /missing digits after/],
      ['1.5 abc', /unknown unit "abc"/],
      ['1.5 a', /micro-units \(a\) take no decimals/],
      ['1 ABC ABC', /expected a number and a unit/],
      ['1,5 ABC', /expected a number and a unit/],
      ['1e6 ABC', /unknown unit "e6"|expected a number/],
      ['١ ABC', /expected a number|missing number/], // Arabic-Indic digit
      ['18446744073709.551616 ABC', /too large/],
      ['1 toString', /unknown unit/],
      ['1 __proto__', /unknown unit/],
      ['9'.repeat(65) + ' a', /longer than 64/],
      ['', /missing number/],
    ];
    for (const [input, message] of cases) expect(badAmount(() => parseAmount(input))).toMatch(message);
    expect(badAmount(() => parseAmount(42 as unknown as string))).toBe('amount must be text');
  });

  it('formats whole units, trimming trailing zeros', () => {
    expect(formatAmount(1_500_000n, 'ABC')).toBe('1.5 ABC');
    expect(formatAmount(0n, 'ABIT')).toBe('0 ABIT');
    expect(formatAmount(1n, 'ABC')).toBe('0.000001 ABC');
    expect(formatAmount(250_000_000n, 'ABIT')).toBe('250 ABIT');
    expect(formatAmount(MAX_MICRO, 'ABC')).toBe('18446744073709.551615 ABC');
    expect(badAmount(() => formatAmount(-1n, 'ABC'))).toMatch(/negative/);
    expect(badAmount(() => formatAmount(MAX_MICRO + 1n, 'ABC'))).toMatch(/exceeds/);
    expect(badAmount(() => formatAmount(1n, 'BTC' as 'ABC'))).toMatch(/unknown unit/);
    expect(badAmount(() => formatAmount(1 as unknown as bigint, 'ABC'))).toMatch(/bigint/);
  });

  it('converts ABC to ABIT one way at 1 ABC = 1000 ABIT', () => {
    expect(abcToAbit(1_000_000n)).toBe(1_000_000_000n);
    expect(formatAmount(abcToAbit(parseAmount('0.25 ABC').micro), 'ABIT')).toBe('250 ABIT');
    expect(badAmount(() => abcToAbit(-1n))).toMatch(/negative/);
    expect(badAmount(() => abcToAbit(MAX_MICRO))).toMatch(/more ABIT than an amount holds/);
    expect(Object.keys(wire).filter((name) => /abitToAbc|toAbc/i.test(name))).toEqual([]);
  });

  it('parses what it formats, for every amount', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, MAX_MICRO), fc.constantFrom('ABC' as const, 'ABIT' as const), (micro, unit) => {
        expect(parseAmount(formatAmount(micro, unit))).toEqual({ unit, micro });
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any text with an amount that formats back to itself, or BAD_AMOUNT', () => {
    fc.assert(
      fc.property(amountFuzzInput, ({ input }) => {
        const outcome = attempt(AMOUNT_CODES, () => parseAmount(input));
        if (!outcome.ok) return;
        const { micro, unit } = outcome.value;
        expect(parseAmount(formatAmount(micro, unit))).toEqual(outcome.value);
      }),
      { numRuns: RUNS },
    );
  });
});
