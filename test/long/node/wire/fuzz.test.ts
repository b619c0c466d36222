/**
 * Long fuzz of every decoder of untrusted wire input: ≥ 100,000 generated inputs each for decodeCbor,
 * decodeEnvelope and parseAmount, from the same generators as the unit properties. The contract checked: an
 * input decodes to a value that encodes back to exactly that input, or fails with a WireError of a code that
 * decoder may give — never another error, never a crash. Some families promise more: valid inputs decode,
 * truncations are MALFORMED (CBOR is prefix-free), hand-made non-canonical spellings are NON_CANONICAL.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeCbor,
  decodeEnvelope,
  encodeCbor,
  formatAmount,
  parseAmount,
  type CborValue,
} from '../../../../node/wire/index.ts';
import {
  AMOUNT_CODES,
  CBOR_CODES,
  ENVELOPE_CODES,
  amountFuzzInput,
  attempt,
  cborFuzzInput,
  checkFamily,
  envelopeFuzzInput,
  fuzzRegistry,
  type FuzzInput,
  type Outcome,
} from '../../../support/wire-arbitraries.ts';

const MIN_INPUTS = 100_000;
// 150,000 per decoder: about a minute for all three on a 2-core machine, leaving room under the 3-minute budget
// when other suites share the cores. AME_WIRE_FUZZ_RUNS raises it for a deeper run (never below the minimum).
const RUNS = Math.max(MIN_INPUTS, Number(process.env.AME_WIRE_FUZZ_RUNS) || 150_000);

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Runs `check` on RUNS inputs and returns how many of each family ended in each outcome. */
function fuzz<T, V>(
  arbitrary: fc.Arbitrary<FuzzInput<T>>,
  decode: (input: T) => V,
  allowed: Parameters<typeof attempt>[0],
  check: (input: FuzzInput<T>, outcome: Outcome<V>) => void,
): { total: number; tally: Record<string, number> } {
  let total = 0;
  const tally: Record<string, number> = {};
  fc.assert(
    fc.property(arbitrary, (fuzzInput) => {
      total++;
      const outcome = attempt(allowed, () => decode(fuzzInput.input));
      check(fuzzInput, outcome);
      const key = `${fuzzInput.family} ${outcome.ok ? 'OK' : outcome.error.code}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }),
    { numRuns: RUNS },
  );
  return { total, tally };
}

function report(name: string, result: { total: number; tally: Record<string, number> }): void {
  const lines = Object.entries(result.tally)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `  ${key}: ${n}`);
  console.log(`${name}: ${result.total} inputs\n${lines.join('\n')}`);
  expect(result.total).toBeGreaterThanOrEqual(MIN_INPUTS);
}

describe('wire decoders under 100,000+ generated inputs each', () => {
  it('decodeCbor', () => {
    const decode = (input: Uint8Array) => decodeCbor(input);
    const result = fuzz(cborFuzzInput, decode, CBOR_CODES, ({ family, input }, outcome) => {
      checkFamily(family, outcome);
      if (outcome.ok) expect(hex(encodeCbor(outcome.value))).toBe(hex(input));
    });
    report('decodeCbor', result);
  });

  it('decodeEnvelope', () => {
    const result = fuzz(
      envelopeFuzzInput,
      (input: Uint8Array) => decodeEnvelope(fuzzRegistry, input),
      ENVELOPE_CODES,
      ({ family, input, original }, outcome) => {
        checkFamily(family, outcome);
        if (!outcome.ok) return;
        expect(hex(encodeCbor(outcome.value as unknown as CborValue))).toBe(hex(input));
        // A signed envelope with any byte changed is never accepted (flips that cancel out change nothing).
        if (original !== undefined) expect(hex(input)).toBe(hex(original));
      },
    );
    report('decodeEnvelope', result);
  });

  it('parseAmount', () => {
    const result = fuzz(amountFuzzInput, (input: string) => parseAmount(input), AMOUNT_CODES, ({ family }, outcome) => {
      checkFamily(family, outcome);
      if (outcome.ok) expect(parseAmount(formatAmount(outcome.value.micro, outcome.value.unit))).toEqual(outcome.value);
    });
    report('parseAmount', result);
  });
});
