import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import {
  bytesEqual,
  concatBytes,
  domainSeparated,
  fromHex,
  hash160,
  hkdfSha256,
  sha256,
  sha256d,
  toHex,
  utf8,
} from '../../../../node/crypto/hash.ts';

describe('hashes', () => {
  it('SHA-256 and double SHA-256 match FIPS 180-2 "abc"', () => {
    expect(toHex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256d(utf8('abc')))).toBe(toHex(sha256(sha256(utf8('abc')))));
  });

  it('hash160 of the secp256k1 generator (private key 1) is the well-known key hash', () => {
    const g = fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    expect(toHex(hash160(g))).toBe('751e76e8199196d454941c45d1b3a323f1433bd6');
  });

  it('HKDF-SHA-256 matches RFC 5869 test case 1', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = fromHex('000102030405060708090a0b0c');
    const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
    expect(toHex(hkdfSha256(ikm, salt, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('byte helpers', () => {
  it('concatenates and domain-separates', () => {
    expect(toHex(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])))).toBe('010203');
    expect(toHex(domainSeparated('AB', new Uint8Array([7])))).toBe('41420007');
  });

  it('compares bytes', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false);
  });

  it('round-trips hex of any case and of subarrays', () => {
    expect(toHex(fromHex('00FFaB'))).toBe('00ffab');
    expect(toHex(new Uint8Array([9, 8, 7, 6]).subarray(1, 3))).toBe('0807');
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it('refuses malformed hex with BAD_ENCODING instead of truncating', () => {
    for (const bad of ['abc', '0g', '0x00', ' 00', '00 ', 'zz']) {
      expect(() => fromHex(bad)).toThrow(CryptoError);
      try {
        fromHex(bad, 'public key');
      } catch (error) {
        expect((error as CryptoError).code).toBe('BAD_ENCODING');
        expect((error as CryptoError).message).toMatch(/public key/);
      }
    }
    expect(() => fromHex('0011', 'salt', 3)).toThrowError(/salt must be 3 bytes, got 2/);
  });
});
