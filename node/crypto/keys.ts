/**
 * Account keys: the signing half of a wallet (Falcon-512 or secp256k1 ECDSA) and one verification function for
 * both. Verification is total: any malformed key, signature or message is `false`, never an exception, because
 * every caller is checking something that arrived from outside.
 */
import { falcon512 } from '@noble/post-quantum/falcon.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { addressFromPublicKey } from './address.ts';
import { CryptoError } from './errors.ts';
import { publicKeyProblem, type Scheme } from './scheme.ts';

export const FALCON_SEED_LENGTH = 48;
export const ECDSA_SECRET_KEY_LENGTH = 32;
export const ECDSA_SIGNATURE_LENGTH = 64;
/** Falcon-512 signatures vary in length; this bounds the detached encoding @noble/post-quantum produces. */
export const FALCON_MAX_SIGNATURE_LENGTH = 752;

export interface AccountKey {
  readonly scheme: Scheme;
  readonly publicKey: Uint8Array;
  readonly address: string;
  /** A signature over exactly these bytes (ECDSA hashes them with SHA-256 first; Falcon hashes internally). */
  sign(message: Uint8Array): Uint8Array;
}

class FalconAccountKey implements AccountKey {
  readonly scheme = 'falcon';
  readonly publicKey: Uint8Array;
  readonly address: string;
  readonly #secretKey: Uint8Array;

  constructor(seed: Uint8Array) {
    const { publicKey, secretKey } = falcon512.keygen(seed);
    this.publicKey = publicKey;
    this.#secretKey = secretKey;
    this.address = addressFromPublicKey('falcon', publicKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return falcon512.sign(message, this.#secretKey);
  }
}

class EcdsaAccountKey implements AccountKey {
  readonly scheme = 'ecdsa';
  readonly publicKey: Uint8Array;
  readonly address: string;
  readonly #secretKey: Uint8Array;

  constructor(secretKey: Uint8Array) {
    this.#secretKey = Uint8Array.from(secretKey);
    this.publicKey = secp256k1.getPublicKey(this.#secretKey, true);
    this.address = addressFromPublicKey('ecdsa', this.publicKey);
  }

  sign(message: Uint8Array): Uint8Array {
    // RFC 6979 deterministic nonce, SHA-256 prehash and low-S: the defaults, spelled out so they cannot drift.
    return secp256k1.sign(message, this.#secretKey, { prehash: true, lowS: true, format: 'compact' });
  }
}

/** A Falcon-512 key from its 48-byte key-generation seed (deterministic; ~160 ms). */
export function falconAccountKey(seed: Uint8Array): AccountKey {
  if (seed.length !== FALCON_SEED_LENGTH) {
    throw new CryptoError('BAD_KEY', `Falcon seed must be ${FALCON_SEED_LENGTH} bytes, got ${seed.length}`);
  }
  return new FalconAccountKey(seed);
}

/** A secp256k1 key from its 32-byte secret scalar, which must lie in [1, n−1]. */
export function ecdsaAccountKey(secretKey: Uint8Array): AccountKey {
  if (secretKey.length !== ECDSA_SECRET_KEY_LENGTH || !secp256k1.utils.isValidSecretKey(secretKey)) {
    throw new CryptoError('BAD_KEY', 'secp256k1 secret key must be 32 bytes encoding an integer in [1, n-1]');
  }
  return new EcdsaAccountKey(secretKey);
}

/** True only if `signature` is a valid signature of `message` by `publicKey` under `scheme`. Never throws. */
export function verifySignature(
  scheme: Scheme,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!(publicKey instanceof Uint8Array && message instanceof Uint8Array && signature instanceof Uint8Array)) {
    return false;
  }
  if (publicKeyProblem(scheme, publicKey) !== undefined) return false;
  try {
    if (scheme === 'ecdsa') {
      if (signature.length !== ECDSA_SIGNATURE_LENGTH) return false;
      // lowS rejects the malleated twin (r, n−s) of every valid signature.
      return secp256k1.verify(signature, message, publicKey, { prehash: true, lowS: true, format: 'compact' });
    }
    if (signature.length === 0 || signature.length > FALCON_MAX_SIGNATURE_LENGTH) return false;
    return falcon512.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
