/** The messaging codec: only ServiceError comes out, with the lower error kept as the cause. */
import { describe, expect, it } from 'vitest';
import { WireError, encodeCbor, s } from '../../../../../node/wire/index.ts';
import { ServiceError } from '../../../../../node/services/errors.ts';
import { decodeWith, encodeValue, wrapLower } from '../../../../../node/services/messaging/codec.ts';
import { codeOf } from './fixtures.ts';

const schema = s.struct({ a: s.uint() });

describe('messaging codec', () => {
  it('decodes canonical CBOR that fits its schema', () => {
    expect(decodeWith(encodeCbor({ a: 5 }), 100, schema, 'x')).toEqual({ a: 5 });
  });

  it('turns wire failures into MALFORMED with the cause, and oversize input into TOO_LARGE', () => {
    try {
      decodeWith(encodeCbor({ a: 'five' }), 100, schema, 'thing');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceError);
      expect((error as ServiceError).code).toBe('MALFORMED');
      expect((error as ServiceError).message).toMatch(/^thing/);
      expect((error as ServiceError).cause).toBeInstanceOf(WireError);
    }
    expect(codeOf(() => decodeWith(Uint8Array.of(0xff), 100, schema, 'x'))).toBe('MALFORMED');
    expect(codeOf(() => decodeWith(new Uint8Array(101), 100, schema, 'x'))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeWith('nope' as unknown as Uint8Array, 100, schema, 'x'))).toBe('MALFORMED');
    expect(codeOf(() => encodeValue({ a: 1.5 }, 'x'))).toBe('MALFORMED');
  });

  it('wraps lower errors but passes ServiceError through unchanged', () => {
    const own = new ServiceError('REPLAY', 'mine');
    expect(() =>
      wrapLower('BAD_KEY', 'x', () => {
        throw own;
      }),
    ).toThrow(own);
    expect(codeOf(() => wrapLower('BAD_KEY', 'x', () => JSON.parse('{')))).toBe('BAD_KEY');
    expect(wrapLower('BAD_KEY', 'x', () => 3)).toBe(3);
  });
});
