import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { fromHex, toHex, utf8 } from '../../../../node/crypto/hash.ts';
import {
  ecdsaAccountKey,
  falconAccountKey,
  verifySignature,
  type AccountKey,
} from '../../../../node/crypto/keys.ts';
import { parseAddress } from '../../../../node/crypto/address.ts';
import { seededRandom } from './seeded-random.ts';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const random = seededRandom('keys');
const keys: Record<'falcon' | 'ecdsa', [AccountKey, AccountKey]> = {
  falcon: [falconAccountKey(random(48)), falconAccountKey(random(48))],
  ecdsa: [ecdsaAccountKey(random(32)), ecdsaAccountKey(random(32))],
};

describe.each(['falcon', 'ecdsa'] as const)('%s signatures', (scheme) => {
  const [key, other] = keys[scheme];
  const message = utf8('pay 5 ABC to F…');
  const signature = key.sign(message);

  it('verify a genuine signature', () => {
    expect(key.scheme).toBe(scheme);
    expect(parseAddress(key.address).scheme).toBe(scheme);
    expect(verifySignature(scheme, key.publicKey, message, signature)).toBe(true);
  });

  it('reject the wrong key, the wrong message and the wrong scheme', () => {
    expect(verifySignature(scheme, other.publicKey, message, signature)).toBe(false);
    expect(verifySignature(scheme, key.publicKey, utf8('pay 6 ABC to F…'), signature)).toBe(false);
    expect(verifySignature(scheme, key.publicKey, new Uint8Array(0), signature)).toBe(false);
    const otherScheme = scheme === 'falcon' ? 'ecdsa' : 'falcon';
    expect(verifySignature(otherScheme, key.publicKey, message, signature)).toBe(false);
    expect(verifySignature(otherScheme, keys[otherScheme][0].publicKey, message, signature)).toBe(false);
  });

  it('reject truncated and extended signatures', () => {
    for (const cut of [1, 2, 10, signature.length - 1, signature.length]) {
      expect(verifySignature(scheme, key.publicKey, message, signature.subarray(0, signature.length - cut))).toBe(
        false,
      );
    }
    const extended = new Uint8Array(signature.length + 1);
    extended.set(signature);
    expect(verifySignature(scheme, key.publicKey, message, extended)).toBe(false);
  });

  it('reject every bit-flipped signature tried (one bit in each byte)', () => {
    for (let i = 0; i < signature.length; i += 1) {
      const flipped = Uint8Array.from(signature);
      flipped[i]! ^= 1 << (i % 8);
      expect(verifySignature(scheme, key.publicKey, message, flipped)).toBe(false);
    }
  });

  it('reject a bit-flipped public key', () => {
    for (const i of [1, 10, key.publicKey.length - 1]) {
      const flipped = Uint8Array.from(key.publicKey);
      flipped[i]! ^= 0x40;
      expect(verifySignature(scheme, flipped, message, signature)).toBe(false);
    }
  });

  it('return false, never throw, for arbitrary keys and signatures', () => {
    const pk = fc.oneof(
      fc.uint8Array({ maxLength: 900 }),
      fc.uint8Array({ minLength: key.publicKey.length, maxLength: key.publicKey.length }).map((b) => {
        b[0] = key.publicKey[0]!;
        return b;
      }),
    );
    fc.assert(
      fc.property(pk, fc.uint8Array({ maxLength: 800 }), (publicKey, sig) => {
        expect(verifySignature(scheme, publicKey, message, sig)).toBe(false);
        expect(verifySignature(scheme, key.publicKey, message, sig)).toBe(false);
      }),
      { seed: 7, numRuns: scheme === 'falcon' ? 200 : 500 },
    );
  });
});

describe('ECDSA specifics', () => {
  it('derives the standard compressed key and is verified by OpenSSL (SHA-256 prehash)', () => {
    const one = ecdsaAccountKey(fromHex(`${'00'.repeat(31)}01`));
    expect(toHex(one.publicKey)).toBe('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    const [key] = keys.ecdsa;
    const message = utf8('interoperable');
    const point = secp256k1.Point.fromBytes(key.publicKey).toBytes(false);
    const jwk = {
      kty: 'EC',
      crv: 'secp256k1',
      x: Buffer.from(point.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(point.subarray(33)).toString('base64url'),
    };
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    expect(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, key.sign(message))).toBe(true);
  });

  it('signs deterministically (RFC 6979) and rejects the malleated high-S twin', () => {
    const [key] = keys.ecdsa;
    const message = utf8('twin');
    const signature = key.sign(message);
    expect(toHex(key.sign(message))).toBe(toHex(signature));
    const s = BigInt(`0x${toHex(signature.subarray(32))}`);
    const twin = Uint8Array.from(signature);
    twin.set(fromHex((SECP256K1_N - s).toString(16).padStart(64, '0')), 32);
    expect(verifySignature('ecdsa', key.publicKey, message, twin)).toBe(false);
  });

  it('refuses secret keys outside [1, n-1] with BAD_KEY', () => {
    for (const bad of [new Uint8Array(32), fromHex(SECP256K1_N.toString(16)), new Uint8Array(31).fill(1)]) {
      expect(() => ecdsaAccountKey(bad)).toThrow(CryptoError);
    }
  });
});

describe('Falcon specifics', () => {
  it('generates the same key from the same seed, with the 897-byte encoding', () => {
    const seed = seededRandom('falcon seed')(48);
    const a = falconAccountKey(seed);
    expect(a.publicKey).toHaveLength(897);
    expect(a.publicKey[0]).toBe(0x09);
    expect(a.address).toBe(falconAccountKey(seed).address);
    expect(() => falconAccountKey(new Uint8Array(32))).toThrowError(/48 bytes/);
  });
});
