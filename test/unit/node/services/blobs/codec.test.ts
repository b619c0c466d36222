import { describe, expect, it } from 'vitest';
import { BlobError } from '../../../../../node/services/blobs/index.ts';
import { decodeCanonical, encodeCanonical } from '../../../../../node/services/blobs/codec.ts';
import { encodeCbor, s, WireError } from '../../../../../node/wire/index.ts';

const schema = s.struct({ n: s.uint({ max: 10 }) });

function caught(fn: () => unknown): BlobError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BlobError) return error;
    throw error;
  }
  throw new Error('expected a BlobError');
}

describe('blob codec', () => {
  it('decodes a canonical value of the schema', () => {
    expect(decodeCanonical(encodeCanonical({ n: 7 }, 'x'), 100, schema, 'x')).toEqual({ n: 7 });
  });

  it('turns wire errors into BlobError, TOO_LARGE kept, the rest MALFORMED, the WireError as cause', () => {
    const big = caught(() => decodeCanonical(encodeCbor({ n: 7 }), 2, schema, 'x'));
    expect(big.code).toBe('TOO_LARGE');
    expect(big.cause).toBeInstanceOf(WireError);
    const nonCanonical = caught(() => decodeCanonical(Uint8Array.from([0xa1, 0x61, 0x6e, 0x18, 0x07]), 100, schema, 'x'));
    expect(nonCanonical.code).toBe('MALFORMED');
    expect((nonCanonical.cause as WireError).code).toBe('NON_CANONICAL');
    const schemaError = caught(() => decodeCanonical(encodeCbor({ n: 11 }), 100, schema, 'x'));
    expect(schemaError.code).toBe('MALFORMED');
    expect(schemaError.message).toContain('x.n');
    expect(caught(() => encodeCanonical({ n: 1.5 }, 'x')).code).toBe('MALFORMED');
  });
});
