/**
 * Node identity: an Ed25519 key whose public half is the node's libp2p PeerId. It signs protocol messages,
 * so signing and verification use node:crypto (≈ 20× faster than a pure-JS Ed25519, see TOOLCHAIN.md).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.ts';

// DER prefixes of PKCS#8 / SPKI for Ed25519 (RFC 8410): the raw 32 bytes follow them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const ED25519_SEED_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

/** A verifier of Ed25519 signatures by one public key; the KeyObject is made once. */
export class Ed25519PublicKey {
  readonly bytes: Uint8Array;
  readonly #key: KeyObject;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== ED25519_PUBLIC_KEY_LENGTH) {
      throw new CryptoError('BAD_KEY', `Ed25519 public key must be 32 bytes, got ${bytes.length}`);
    }
    this.bytes = Uint8Array.from(bytes);
    try {
      this.#key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
    } catch (cause) {
      throw new CryptoError('BAD_KEY', 'Ed25519 public key is not a valid curve point', { cause });
    }
  }

  /** True only for a valid signature of exactly these bytes; never throws for malformed signatures. */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== ED25519_SIGNATURE_LENGTH) return false;
    try {
      return verify(null, message, this.#key, signature);
    } catch {
      return false;
    }
  }
}

/** An Ed25519 key pair: node identities and receipt session keys. */
export class Ed25519KeyPair {
  readonly publicKey: Ed25519PublicKey;
  readonly #seed: Uint8Array;
  readonly #key: KeyObject;

  private constructor(seed: Uint8Array) {
    this.#seed = Uint8Array.from(seed);
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.#key).export({ format: 'der', type: 'spki' });
    this.publicKey = new Ed25519PublicKey(spki.subarray(SPKI_PREFIX.length));
  }

  /** A key pair from its 32-byte seed (the RFC 8032 private key). */
  static fromSeed(seed: Uint8Array): Ed25519KeyPair {
    if (seed.length !== ED25519_SEED_LENGTH) {
      throw new CryptoError('BAD_KEY', `Ed25519 seed must be 32 bytes, got ${seed.length}`);
    }
    return new Ed25519KeyPair(seed);
  }

  /** A fresh key pair; `random` is injected so protocol code and simulators stay deterministic. */
  static generate(random: (n: number) => Uint8Array = randomBytes): Ed25519KeyPair {
    return new Ed25519KeyPair(random(ED25519_SEED_LENGTH));
  }

  /** The 32-byte seed; callers that persist it must keep the file private. */
  seed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.#key));
  }
}
