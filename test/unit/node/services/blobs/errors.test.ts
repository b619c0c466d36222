import { describe, expect, it } from 'vitest';
import { AmeError } from '../../../../../node/crypto/index.ts';
import { BLOB_ERROR_CODES, BlobError } from '../../../../../node/services/blobs/index.ts';

describe('BlobError', () => {
  it('is an AmeError that carries its code and its class name', () => {
    const cause = new Error('below');
    const error = new BlobError('QUOTA', 'full', { cause });
    expect(error).toBeInstanceOf(AmeError);
    expect(error.code).toBe('QUOTA');
    expect(error.name).toBe('BlobError');
    expect(error.message).toBe('full');
    expect(error.cause).toBe(cause);
  });

  it('lists each code once', () => {
    expect(new Set(BLOB_ERROR_CODES).size).toBe(BLOB_ERROR_CODES.length);
    expect(BLOB_ERROR_CODES).toEqual(expect.arrayContaining(['MALFORMED', 'TOO_LARGE', 'NOT_FOUND', 'HASH_MISMATCH', 'BAD_PROOF', 'QUOTA']));
  });
});
