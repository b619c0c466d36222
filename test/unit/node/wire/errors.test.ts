import { describe, expect, it } from 'vitest';
import { AmeError } from '../../../../node/crypto/errors.ts';
import { WIRE_ERROR_CODES, WireError } from '../../../../node/wire/index.ts';

describe('WireError', () => {
  it('is an AmeError with a stable code and its own name', () => {
    const error = new WireError('MALFORMED', 'truncated', { cause: new Error('inner') });
    expect(error).toBeInstanceOf(AmeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('MALFORMED');
    expect(error.name).toBe('WireError');
    expect(error.message).toBe('truncated');
    expect((error.cause as Error).message).toBe('inner');
  });

  it('lists every code once', () => {
    expect(new Set(WIRE_ERROR_CODES).size).toBe(WIRE_ERROR_CODES.length);
    expect(WIRE_ERROR_CODES).toEqual(
      expect.arrayContaining(['MALFORMED', 'NON_CANONICAL', 'UNKNOWN_TYPE', 'TOO_LARGE', 'BAD_SIGNATURE', 'SCHEMA']),
    );
    expect(WIRE_ERROR_CODES).toEqual(expect.arrayContaining(['UNSUPPORTED_VERSION', 'BAD_AMOUNT']));
  });
});
