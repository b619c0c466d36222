/** X25519 on node:crypto agrees with an independent implementation and refuses low-order points; AES-GCM binds its AAD. */
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../../../../node/crypto/index.ts';
import {
  gcmOpen,
  gcmSeal,
  generateX25519,
  x25519,
  x25519PublicKey,
} from '../../../../../node/services/messaging/primitives.ts';
import { codeOf, seededRandom } from './fixtures.ts';

// u-coordinates of small order on Curve25519 (0, 1, the order-8 points), and p - 1 (order 2).
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('messaging primitives', () => {
  const random = seededRandom('primitives');

  it('X25519 matches @noble/curves', () => {
    for (let i = 0; i < 5; i++) {
      const a = generateX25519(random);
      const b = generateX25519(random);
      expect(toHex(a.publicKey)).toBe(toHex(nobleX25519.getPublicKey(a.secret)));
      expect(toHex(x25519(a.secret, b.publicKey))).toBe(toHex(nobleX25519.getSharedSecret(a.secret, b.publicKey)));
      expect(toHex(x25519(a.secret, b.publicKey))).toBe(toHex(x25519(b.secret, a.publicKey)));
    }
    expect(codeOf(() => x25519PublicKey(new Uint8Array(31)))).toBe('BAD_KEY');
  });

  it('refuses low-order public keys with BAD_KEY', () => {
    const secret = random(32);
    for (const hex of LOW_ORDER) expect(codeOf(() => x25519(secret, fromHex(hex)))).toBe('BAD_KEY');
  });

  it('AES-256-GCM opens only with the same key, nonce, ciphertext and AAD', () => {
    const key = random(32);
    const nonce = random(12);
    const sealed = gcmSeal(key, nonce, utf8('body'), utf8('aad'));
    expect(new TextDecoder().decode(gcmOpen(key, nonce, sealed, utf8('aad')))).toBe('body');
    const flipped = Uint8Array.from(sealed);
    flipped[0]! ^= 1;
    expect(codeOf(() => gcmOpen(key, nonce, sealed, utf8('aaD')))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => gcmOpen(key, random(12), sealed, utf8('aad')))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => gcmOpen(random(32), nonce, sealed, utf8('aad')))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => gcmOpen(key, nonce, flipped, utf8('aad')))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => gcmOpen(key, nonce, sealed.subarray(0, 10), utf8('aad')))).toBe('DECRYPT_FAILED');
  });
});
