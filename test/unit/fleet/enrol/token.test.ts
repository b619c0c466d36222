/**
 * Provisioning token text: the one canonical form parses back to its id and secret; anything else — random text,
 * mutations of a valid token, other spellings of the same bytes — is BAD_TOKEN and nothing else, and the error
 * never echoes the text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnrolError, formatProvisioningToken, MAX_TOKEN_TEXT, parseProvisioningToken } from '../../../../fleet/enrol/index.ts';
import { mutation } from '../../../support/mutation.ts';

const id = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const secret = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const text = formatProvisioningToken(id, secret);

function refusal(input: unknown): string | undefined {
  try {
    parseProvisioningToken(input);
  } catch (error) {
    if (!(error instanceof EnrolError)) throw error;
    return error.code;
  }
  return undefined;
}

describe('provisioning token text', () => {
  it('round-trips the id and secret, and fits its length bound', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (i, s) => {
        const t = formatProvisioningToken(i, s);
        const parsed = parseProvisioningToken(t);
        expect(parsed.id).toBe(Buffer.from(i).toString('base64url'));
        expect(parsed.secret).toEqual(s);
        expect(t.length).toBeLessThanOrEqual(MAX_TOKEN_TEXT);
      }),
    );
  });

  it('refuses other prefixes, part counts, lengths and non-canonical spellings', () => {
    const [prefix, idText, secretText] = text.split('.') as [string, string, string];
    const bad = [
      `ampt2.${idText}.${secretText}`,
      `${prefix}.${idText}`,
      `${prefix}.${idText}.${secretText}.x`,
      `${prefix}.${idText}A.${secretText}`,
      `${prefix}.${idText}.${secretText.slice(0, -1)}`,
      `${prefix}.${idText.slice(0, -1)}B.${secretText}`, // same length, trailing bits set: not canonical
      `${prefix}.${idText}.${secretText.replace(/.$/, '+')}`,
      '',
      text + ' ',
    ];
    for (const t of bad) expect(refusal(t), t).toBe('BAD_TOKEN');
    expect(refusal(42)).toBe('BAD_TOKEN');
    expect(refusal('x'.repeat(10_000))).toBe('BAD_TOKEN');
  });

  it('throws nothing but BAD_TOKEN for random and mutated input, and never echoes it', () => {
    const bytes = new TextEncoder().encode(text);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), mutation(bytes, { keepWhole: false }).map((b) => Buffer.from(b).toString('latin1'))), (input) => {
        try {
          parseProvisioningToken(input);
        } catch (error) {
          expect(error).toBeInstanceOf(EnrolError);
          expect((error as EnrolError).code).toBe('BAD_TOKEN');
          if (input.length > 8) expect((error as Error).message).not.toContain(input);
          return;
        }
        // A mutation can only parse if it is itself canonical text: then it formats back to itself.
        const parsed = parseProvisioningToken(input);
        expect(formatProvisioningToken(Buffer.from(parsed.id, 'base64url'), parsed.secret)).toBe(input);
      }),
      { numRuns: 2_000 },
    );
  });
});
