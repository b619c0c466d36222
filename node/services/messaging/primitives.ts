/**
 * The symmetric and X25519 primitives under the handshake and the ratchet, on node:crypto (native: an X25519 agreement
 * costs ≈ 50 µs there against ≈ 1 ms in pure JS, and a ratchet step takes two). Failures are ServiceError.
 */
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { concatBytes, type RandomSource } from '../../crypto/index.ts';
import { ServiceError } from '../errors.ts';

export const X25519_KEY_LENGTH = 32;
export const AES_KEY_LENGTH = 32;
export const GCM_NONCE_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

// DER prefixes of PKCS#8 / SPKI for X25519 (RFC 8410); the raw 32 bytes follow them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface X25519KeyPair {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

function checkLength(bytes: Uint8Array, what: string): void {
  if (bytes.length !== X25519_KEY_LENGTH) {
    throw new ServiceError('BAD_KEY', `${what} must be ${X25519_KEY_LENGTH} bytes, got ${bytes.length}`);
  }
}

/** The public key of a 32-byte X25519 secret (any 32 bytes are a valid secret once clamped). */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  checkLength(secret, 'X25519 secret');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

export function x25519KeyPair(secret: Uint8Array): X25519KeyPair {
  return { secret: Uint8Array.from(secret), publicKey: x25519PublicKey(secret) };
}

export function generateX25519(random: RandomSource): X25519KeyPair {
  return x25519KeyPair(random(X25519_KEY_LENGTH));
}

/**
 * X25519(secret, publicKey). BAD_KEY for a peer key that is not a usable point: a low-order point would give the
 * all-zero secret whatever our key, so a forged header or prekey could force a known chain key.
 */
export function x25519(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkLength(secret, 'X25519 secret');
  checkLength(publicKey, 'X25519 public key');
  let shared: Uint8Array;
  try {
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
    const peer = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    shared = new Uint8Array(diffieHellman({ privateKey, publicKey: peer }));
  } catch (cause) {
    throw new ServiceError('BAD_KEY', 'X25519 public key is not usable', { cause });
  }
  if (shared.every((b) => b === 0)) throw new ServiceError('BAD_KEY', 'X25519 public key is a low-order point');
  return shared;
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}

/** AES-256-GCM: ciphertext ‖ 16-byte tag. The caller guarantees that (key, nonce) is never used twice. */
export function gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(aad);
  return concatBytes(cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
}

/** Inverse of gcmSeal; DECRYPT_FAILED when the key, nonce, ciphertext or associated data is not the sealed one. */
export function gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < GCM_TAG_LENGTH) throw new ServiceError('DECRYPT_FAILED', 'ciphertext is shorter than its tag');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_LENGTH));
    return concatBytes(decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_LENGTH)), decipher.final());
  } catch (cause) {
    throw new ServiceError('DECRYPT_FAILED', 'ciphertext does not authenticate (wrong key, or altered)', { cause });
  }
}
