/**
 * A messaging identity: an Ed25519 signing key (who the user is; it signs prekeys) and an X25519 key for the
 * handshake's authentication agreements, as PQXDH's identity key. The signing key certifies the X25519 key
 * (signature over 'AME-MSG-IDENTITY-v1' ‖ 0x00 ‖ dh), so nobody can pair a victim's signing key with an X25519
 * key of their own and start sessions in the victim's name.
 *
 * A user's messaging address, under which relays keep the mailbox and the prekeys, is
 * SHA-256('AME-MSG-ADDRESS-v1' ‖ 0x00 ‖ signing key): a 256-bit abstract address like every other in the ring.
 */
import {
  domainSeparated,
  Ed25519KeyPair,
  Ed25519PublicKey,
  type RandomSource,
  sha256,
} from '../../crypto/index.ts';
import { s, type Infer } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { wrapLower } from './codec.ts';
import { X25519_KEY_LENGTH, x25519KeyPair, type X25519KeyPair } from './primitives.ts';

export const IDENTITY_DOMAIN_TAG = 'AME-MSG-IDENTITY-v1';
export const ADDRESS_DOMAIN_TAG = 'AME-MSG-ADDRESS-v1';
export const ADDRESS_LENGTH = 32;

export const publicIdentitySchema = s.struct({
  sign: s.bytes({ len: 32 }),
  dh: s.bytes({ len: X25519_KEY_LENGTH }),
  sig: s.bytes({ len: 64 }),
});

/** The public half, as bundles and session starts carry it: signing key, X25519 key, and the certificate. */
export type PublicIdentity = Infer<typeof publicIdentitySchema>;

export function messagingAddress(signingKey: Uint8Array): Uint8Array {
  return sha256(domainSeparated(ADDRESS_DOMAIN_TAG, signingKey));
}

/** The 64 bytes that name an identity inside transcripts: signing key ‖ X25519 key. */
export function identityBytes(identity: PublicIdentity): Uint8Array {
  return Uint8Array.from([...identity.sign, ...identity.dh]);
}

/** Checks the certificate; returns the signing key for the prekey signatures. BAD_SIGNATURE / BAD_KEY. */
export function verifyIdentity(identity: PublicIdentity): Ed25519PublicKey {
  const key = wrapLower('BAD_KEY', 'identity signing key', () => new Ed25519PublicKey(identity.sign));
  if (!key.verify(domainSeparated(IDENTITY_DOMAIN_TAG, identity.dh), identity.sig)) {
    throw new ServiceError('BAD_SIGNATURE', 'identity X25519 key is not certified by its signing key');
  }
  return key;
}

export class MessagingIdentity {
  readonly signing: Ed25519KeyPair;
  readonly public: PublicIdentity;
  readonly #dh: X25519KeyPair;

  private constructor(signing: Ed25519KeyPair, dhSecret: Uint8Array) {
    this.signing = signing;
    this.#dh = wrapLower('BAD_KEY', 'identity X25519 secret', () => x25519KeyPair(dhSecret));
    const sig = signing.sign(domainSeparated(IDENTITY_DOMAIN_TAG, this.#dh.publicKey));
    this.public = { sign: signing.publicKey.bytes, dh: this.#dh.publicKey, sig };
  }

  /** An identity for an existing signing key (a user's session key, say) with a fresh X25519 key. */
  static create(signing: Ed25519KeyPair, random: RandomSource): MessagingIdentity {
    return new MessagingIdentity(signing, random(X25519_KEY_LENGTH));
  }

  static generate(random: RandomSource): MessagingIdentity {
    return MessagingIdentity.create(Ed25519KeyPair.generate(random), random);
  }

  /** From the two 32-byte secrets that `secrets()` returned. */
  static fromSecrets(signingSeed: Uint8Array, dhSecret: Uint8Array): MessagingIdentity {
    const signing = wrapLower('BAD_KEY', 'identity signing seed', () => Ed25519KeyPair.fromSeed(signingSeed));
    return new MessagingIdentity(signing, dhSecret);
  }

  get address(): Uint8Array {
    return messagingAddress(this.public.sign);
  }

  /** Secrets to persist (privately): the Ed25519 seed and the X25519 secret. */
  secrets(): { readonly signingSeed: Uint8Array; readonly dhSecret: Uint8Array } {
    return { signingSeed: this.signing.seed(), dhSecret: Uint8Array.from(this.#dh.secret) };
  }

  /** The X25519 identity secret, for the handshake's authentication agreements only. */
  dhSecret(): Uint8Array {
    return Uint8Array.from(this.#dh.secret);
  }
}
