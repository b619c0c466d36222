import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { toHex, utf8 } from '../../../../node/crypto/hash.ts';
import {
  decapsulate,
  encapsulate,
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  KemKeyPair,
  open,
  seal,
  SHARED_SECRET_LENGTH,
} from '../../../../node/crypto/kem.ts';
import { seededRandom } from './seeded-random.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

const random = seededRandom('kem');
const recipient = KemKeyPair.generate(random);
const stranger = KemKeyPair.generate(random);

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe('hybrid X25519 + ML-KEM-768', () => {
  it('agrees on a 32-byte secret', () => {
    expect(recipient.publicKey).toHaveLength(KEM_PUBLIC_KEY_LENGTH);
    const { ciphertext, sharedSecret } = encapsulate(recipient.publicKey, random);
    expect(ciphertext).toHaveLength(KEM_CIPHERTEXT_LENGTH);
    expect(sharedSecret).toHaveLength(SHARED_SECRET_LENGTH);
    expect(toHex(recipient.decapsulate(ciphertext))).toBe(toHex(sharedSecret));
    expect(toHex(decapsulate(recipient, ciphertext))).toBe(toHex(sharedSecret));
    expect(toHex(stranger.decapsulate(ciphertext))).not.toBe(toHex(sharedSecret));
  });

  it('is deterministic given its randomness, and fresh otherwise', () => {
    const seed = seededRandom('kem fixed')(96);
    const a = KemKeyPair.fromSeed(seed);
    expect(toHex(a.publicKey)).toBe(toHex(KemKeyPair.fromSeed(a.seed()).publicKey));
    const e1 = encapsulate(a.publicKey, seededRandom('enc'));
    const e2 = encapsulate(a.publicKey, seededRandom('enc'));
    expect(toHex(e1.sharedSecret)).toBe(toHex(e2.sharedSecret));
    expect(toHex(encapsulate(a.publicKey).sharedSecret)).not.toBe(toHex(e1.sharedSecret));
  });

  it('gives a different secret when either half of the ciphertext is altered', () => {
    const { ciphertext, sharedSecret } = encapsulate(recipient.publicKey, random);
    for (const at of [0, 17, 31, 32, 100, KEM_CIPHERTEXT_LENGTH - 1]) {
      const tampered = Uint8Array.from(ciphertext);
      tampered[at]! ^= 0x04;
      let secret: Uint8Array | undefined;
      try {
        secret = recipient.decapsulate(tampered);
      } catch (error) {
        // Only an X25519 part that became a low-order point may be refused outright.
        expect((error as CryptoError).code).toBe('BAD_KEY');
      }
      if (secret !== undefined) expect(toHex(secret)).not.toBe(toHex(sharedSecret));
    }
  });

  it('refuses wrong lengths and low-order X25519 points with typed errors', () => {
    expect(codeOf(() => encapsulate(recipient.publicKey.subarray(1)))).toBe('BAD_KEY');
    expect(codeOf(() => recipient.decapsulate(new Uint8Array(KEM_CIPHERTEXT_LENGTH - 1)))).toBe('BAD_ENCODING');
    const zeroPoint = new Uint8Array(KEM_CIPHERTEXT_LENGTH);
    expect(codeOf(() => recipient.decapsulate(zeroPoint))).toBe('BAD_KEY');
    const lowOrderKey = Uint8Array.from(recipient.publicKey);
    lowOrderKey.fill(0, 0, 32);
    expect(codeOf(() => encapsulate(lowOrderKey))).toBe('BAD_KEY');
    const unreducedMlkem = Uint8Array.from(recipient.publicKey);
    unreducedMlkem.fill(0xff, 32, 64);
    expect(codeOf(() => encapsulate(unreducedMlkem))).toBe('BAD_KEY');
    expect(codeOf(() => KemKeyPair.fromSeed(new Uint8Array(95)))).toBe('BAD_KEY');
  });

  it('decapsulates arbitrary ciphertexts with typed errors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: KEM_CIPHERTEXT_LENGTH + 2 }), (bytes) => {
        try {
          expect(recipient.decapsulate(bytes)).toHaveLength(SHARED_SECRET_LENGTH);
        } catch (error) {
          expect(error).toBeInstanceOf(CryptoError);
        }
      }),
      { seed: 41, numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: KEM_CIPHERTEXT_LENGTH, maxLength: KEM_CIPHERTEXT_LENGTH }), (bytes) => {
        try {
          expect(recipient.decapsulate(bytes)).toHaveLength(SHARED_SECRET_LENGTH);
        } catch (error) {
          expect(error).toBeInstanceOf(CryptoError);
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('seal and open (AES-256-GCM)', () => {
  const { ciphertext, sharedSecret: key } = encapsulate(recipient.publicKey, random);
  const aad = utf8('message 7 from F… to A…');

  it('round-trips, with the KEM secret of the recipient', () => {
    const sealed = seal(key, utf8('hello'), aad, random);
    expect(sealed).toHaveLength(12 + 5 + 16);
    expect(new TextDecoder().decode(open(recipient.decapsulate(ciphertext), sealed, aad))).toBe('hello');
    expect(open(key, seal(key, new Uint8Array(0)))).toHaveLength(0);
  });

  it('refuses a tampered message, the wrong key or the wrong associated data', () => {
    const sealed = seal(key, utf8('hello'), aad);
    for (let at = 0; at < sealed.length; at += 1) {
      const tampered = Uint8Array.from(sealed);
      tampered[at]! ^= 0x80;
      expect(codeOf(() => open(key, tampered, aad))).toBe('BAD_SIGNATURE');
    }
    expect(codeOf(() => open(stranger.decapsulate(ciphertext), sealed, aad))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => open(key, sealed, utf8('other')))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => open(key, sealed))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => open(key, sealed.subarray(0, 27), aad))).toBe('BAD_ENCODING');
    expect(codeOf(() => open(key.subarray(1), sealed, aad))).toBe('BAD_KEY');
    expect(codeOf(() => seal(new Uint8Array(16), sealed))).toBe('BAD_KEY');
  });

  it('opens arbitrary bytes with typed errors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 8 }), (bytes, extra) => {
        expect(() => open(key, bytes, extra)).toThrow(CryptoError);
      }),
      { seed: 43, numRuns: 1000 },
    );
  });
});
