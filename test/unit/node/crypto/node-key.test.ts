import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Ed25519KeyPair, Ed25519PublicKey } from '../../../../node/crypto/node-key.ts';
import { CryptoError } from '../../../../node/crypto/errors.ts';

describe('Ed25519 node keys', () => {
  // RFC 8032 §7.1, TEST 2: one-byte message.
  const seed = Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex');
  const pub = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
  const sig =
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

  it('matches the RFC 8032 test vector', () => {
    const kp = Ed25519KeyPair.fromSeed(seed);
    expect(Buffer.from(kp.publicKey.bytes).toString('hex')).toBe(pub);
    expect(Buffer.from(kp.sign(new Uint8Array([0x72]))).toString('hex')).toBe(sig);
  });

  it('agrees with noble and rejects wrong key, message, truncation and bit flips', () => {
    const kp = Ed25519KeyPair.generate();
    const other = Ed25519KeyPair.generate();
    const msg = new TextEncoder().encode('hello');
    const s = kp.sign(msg);
    expect(ed25519.verify(s, msg, kp.publicKey.bytes)).toBe(true);
    expect(kp.publicKey.verify(msg, s)).toBe(true);
    expect(other.publicKey.verify(msg, s)).toBe(false);
    expect(kp.publicKey.verify(new TextEncoder().encode('hellp'), s)).toBe(false);
    expect(kp.publicKey.verify(msg, s.subarray(0, 63))).toBe(false);
    for (let bit = 0; bit < 512; bit += 37) {
      const flipped = Uint8Array.from(s);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(kp.publicKey.verify(msg, flipped)).toBe(false);
    }
  });

  it('refuses keys of the wrong length with a typed error', () => {
    expect(() => Ed25519KeyPair.fromSeed(new Uint8Array(31))).toThrow(CryptoError);
    expect(() => new Ed25519PublicKey(new Uint8Array(33))).toThrowError(/32 bytes/);
  });
});
