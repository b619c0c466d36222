import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { KeyCache } from '../../../../node/wire/key-cache.ts';
import { testKeys } from '../../../support/wire-arbitraries.ts';

describe('sender key cache', () => {
  it('returns the same verifier for the same bytes and evicts the least recently used', () => {
    const cache = new KeyCache(2);
    const [a, b, c] = testKeys.map((k) => k.publicKey.bytes);
    const first = cache.get(a!);
    expect(cache.get(Uint8Array.from(a!))).toBe(first);
    cache.get(b!);
    cache.get(a!); // a is now the most recent
    cache.get(c!); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get(a!)).toBe(first);
    const message = new Uint8Array([1, 2, 3]);
    expect(cache.get(b!).verify(message, testKeys[1]!.sign(message))).toBe(true);
  });

  it('refuses bytes that are not a key, like the key constructor', () => {
    expect(() => new KeyCache().get(new Uint8Array(31))).toThrowError(CryptoError);
  });
});
