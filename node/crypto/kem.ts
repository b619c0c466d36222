/**
 * Hybrid key agreement for end-to-end messages (SPEC §3, the KEM part of PQXDH): X25519 and ML-KEM-768 together,
 * so the shared secret stays secret unless both are broken. Public key = X25519 pk ‖ ML-KEM pk; ciphertext =
 * ephemeral X25519 pk ‖ ML-KEM ciphertext. The two secrets are combined as
 *
 *   HKDF-SHA-256(ikm = ss_mlkem ‖ ss_x25519, salt = empty,
 *                info = 'AME-KEM-v1' ‖ 0x00 ‖ SHA-256(pk_x25519 ‖ pk_mlkem ‖ ct_x25519 ‖ ct_mlkem), 32 bytes)
 *
 * Binding both public keys and both ciphertexts is what X-Wing and PQXDH do for X25519, extended to ML-KEM so that
 * the combiner's security does not lean on ML-KEM's ciphertext binding. The transcript is hashed because
 * node:crypto caps HKDF info at 1024 bytes. `seal`/`open` are AES-256-GCM with a random 12-byte nonce in front.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { CryptoError } from './errors.ts';
import { concatBytes, domainSeparated, hkdfSha256, sha256, type RandomSource } from './hash.ts';

export const KEM_DOMAIN_TAG = 'AME-KEM-v1';
const X25519_LENGTH = 32;
const MLKEM_PUBLIC_KEY_LENGTH = 1184;
const MLKEM_CIPHERTEXT_LENGTH = 1088;
const MLKEM_SEED_LENGTH = 64;
const MLKEM_MESSAGE_LENGTH = 32;
export const KEM_PUBLIC_KEY_LENGTH = X25519_LENGTH + MLKEM_PUBLIC_KEY_LENGTH;
export const KEM_CIPHERTEXT_LENGTH = X25519_LENGTH + MLKEM_CIPHERTEXT_LENGTH;
export const KEM_SEED_LENGTH = X25519_LENGTH + MLKEM_SEED_LENGTH;
export const SHARED_SECRET_LENGTH = 32;
export const SEAL_KEY_LENGTH = 32;
export const SEAL_NONCE_LENGTH = 12;
export const SEAL_TAG_LENGTH = 16;

export interface Encapsulation {
  readonly ciphertext: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

function x25519Shared(secret: Uint8Array, publicKey: Uint8Array, what: string): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, publicKey);
  } catch (cause) {
    // noble refuses low-order points, whose shared secret would be all zeros whatever the secret key.
    throw new CryptoError('BAD_KEY', `${what} is not a usable X25519 public key`, { cause });
  }
}

function combine(ssX: Uint8Array, ssM: Uint8Array, publicKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const transcript = sha256(concatBytes(publicKey, ciphertext));
  const info = domainSeparated(KEM_DOMAIN_TAG, transcript);
  return hkdfSha256(concatBytes(ssM, ssX), new Uint8Array(0), info, SHARED_SECRET_LENGTH);
}

/** A recipient's long-lived (prekey) key pair. */
export class KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;
  readonly #x25519Secret: Uint8Array;
  readonly #mlkemSecret: Uint8Array;

  private constructor(seed: Uint8Array) {
    this.#seed = Uint8Array.from(seed);
    this.#x25519Secret = this.#seed.slice(0, X25519_LENGTH);
    const mlkem = ml_kem768.keygen(this.#seed.slice(X25519_LENGTH));
    this.#mlkemSecret = mlkem.secretKey;
    this.publicKey = concatBytes(x25519.getPublicKey(this.#x25519Secret), mlkem.publicKey);
  }

  /** From 96 bytes: a 32-byte X25519 secret, then ML-KEM-768's 64-byte key-generation seed. */
  static fromSeed(seed: Uint8Array): KemKeyPair {
    if (seed.length !== KEM_SEED_LENGTH) {
      throw new CryptoError('BAD_KEY', `KEM seed must be ${KEM_SEED_LENGTH} bytes, got ${seed.length}`);
    }
    return new KemKeyPair(seed);
  }

  static generate(random: RandomSource = randomBytes): KemKeyPair {
    return new KemKeyPair(random(KEM_SEED_LENGTH));
  }

  /** The 96-byte seed; whoever stores it must keep it secret. */
  seed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }

  /**
   * The shared secret of a ciphertext. A tampered ML-KEM part yields an unrelated secret (implicit rejection),
   * which the first AES-GCM open then refuses. BAD_ENCODING for a wrong length, BAD_KEY for a low-order X25519 part.
   */
  decapsulate(ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length !== KEM_CIPHERTEXT_LENGTH) {
      throw new CryptoError('BAD_ENCODING', `KEM ciphertext must be ${KEM_CIPHERTEXT_LENGTH} bytes`);
    }
    const ssX = x25519Shared(this.#x25519Secret, ciphertext.subarray(0, X25519_LENGTH), 'ciphertext X25519 part');
    const ssM = ml_kem768.decapsulate(ciphertext.subarray(X25519_LENGTH), this.#mlkemSecret);
    return combine(ssX, ssM, this.publicKey, ciphertext);
  }
}

/** A fresh shared secret for `recipientPublicKey` and the ciphertext that conveys it. */
export function encapsulate(recipientPublicKey: Uint8Array, random: RandomSource = randomBytes): Encapsulation {
  if (recipientPublicKey.length !== KEM_PUBLIC_KEY_LENGTH) {
    throw new CryptoError('BAD_KEY', `KEM public key must be ${KEM_PUBLIC_KEY_LENGTH} bytes`);
  }
  const ephemeral = random(X25519_LENGTH);
  const ssX = x25519Shared(ephemeral, recipientPublicKey.subarray(0, X25519_LENGTH), 'recipient X25519 key');
  let mlkem: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    mlkem = ml_kem768.encapsulate(recipientPublicKey.subarray(X25519_LENGTH), random(MLKEM_MESSAGE_LENGTH));
  } catch (cause) {
    // FIPS 203 requires encapsulation to check that the key's coefficients are reduced.
    throw new CryptoError('BAD_KEY', 'recipient ML-KEM-768 key is malformed', { cause });
  }
  const ciphertext = concatBytes(x25519.getPublicKey(ephemeral), mlkem.cipherText);
  return { ciphertext, sharedSecret: combine(ssX, mlkem.sharedSecret, recipientPublicKey, ciphertext) };
}

/** The recipient's side of encapsulate; see KemKeyPair.decapsulate for the errors. */
export function decapsulate(recipient: KemKeyPair, ciphertext: Uint8Array): Uint8Array {
  return recipient.decapsulate(ciphertext);
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SEAL_KEY_LENGTH) throw new CryptoError('BAD_KEY', `AES-256 key must be ${SEAL_KEY_LENGTH} bytes`);
}

/** nonce ‖ AES-256-GCM ciphertext ‖ tag. Random nonces are safe for up to ~2^32 messages under one key. */
export function seal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
  random: RandomSource = randomBytes,
): Uint8Array {
  checkKey(key);
  const nonce = random(SEAL_NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: SEAL_TAG_LENGTH });
  cipher.setAAD(aad);
  return concatBytes(nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
}

/** Inverse of seal. BAD_ENCODING if too short; BAD_SIGNATURE if the key, ciphertext or AAD is not the sealed one. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkKey(key);
  if (sealed.length < SEAL_NONCE_LENGTH + SEAL_TAG_LENGTH) {
    throw new CryptoError('BAD_ENCODING', 'sealed message is shorter than its nonce and tag');
  }
  const nonce = sealed.subarray(0, SEAL_NONCE_LENGTH);
  const body = sealed.subarray(SEAL_NONCE_LENGTH, sealed.length - SEAL_TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: SEAL_TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - SEAL_TAG_LENGTH));
  try {
    return concatBytes(decipher.update(body), decipher.final());
  } catch (cause) {
    throw new CryptoError('BAD_SIGNATURE', 'sealed message does not authenticate (wrong key or altered)', { cause });
  }
}
