/**
 * The ring-authority key of the genesis configuration (SPEC.md §5): an Ed25519 key that signs the bootstrap list
 * and, on nodes configured for it (before the Manager Ring certifies them, managers.ts), map updates and views. Every signature it makes is over a domain tag of
 * its own, so a map signature can never pass for a bootstrap list or for any other AME signature.
 */
import { bytesEqual, domainSeparated, Ed25519PublicKey, sha256, u64be, type Ed25519KeyPair } from '../crypto/index.ts';
import { RingError } from './errors.ts';

export interface AuthoritySignature {
  /** The signer's Ed25519 public key, so a list signed by the wrong key is told apart from a forged one. */
  readonly signer: Uint8Array;
  readonly signature: Uint8Array;
}

export function authoritySign(key: Ed25519KeyPair, tag: string, ...body: Uint8Array[]): AuthoritySignature {
  return { signer: Uint8Array.from(key.publicKey.bytes), signature: key.sign(domainSeparated(tag, ...body)) };
}

/** WRONG_KEY unless `signed.signer` is the authority, BAD_SIGNATURE unless the signature verifies. */
export function checkAuthority(
  authority: Ed25519PublicKey,
  signed: AuthoritySignature,
  what: string,
  tag: string,
  ...body: Uint8Array[]
): void {
  if (!bytesEqual(signed.signer, authority.bytes)) {
    throw new RingError('WRONG_KEY', `${what} is signed by a key other than the ring authority`);
  }
  if (!authority.verify(domainSeparated(tag, ...body), signed.signature)) {
    throw new RingError('BAD_SIGNATURE', `${what}: the ring authority's signature does not verify`);
  }
}

/** The authority key from its 32 bytes; a malformed key is a configuration error (CryptoError BAD_KEY). */
export function authorityKey(key: Ed25519PublicKey | Uint8Array): Ed25519PublicKey {
  return key instanceof Ed25519PublicKey ? key : new Ed25519PublicKey(key);
}

/**
 * What the authority signs for an epoch's document (a map update, a Unity view): tag ‖ 0x00 ‖ SHA-256(bytes) ‖
 * epoch (u64 big-endian), so a stale or replayed document is refused after one hash and one signature check.
 */
export function signEpochDocument(key: Ed25519KeyPair, tag: string, bytes: Uint8Array, epoch: bigint): AuthoritySignature {
  return authoritySign(key, tag, sha256(bytes), u64be(epoch));
}

export function checkEpochDocument(
  authority: Ed25519PublicKey,
  signed: AuthoritySignature,
  what: string,
  tag: string,
  bytes: Uint8Array,
  epoch: bigint,
): void {
  checkAuthority(authority, signed, what, tag, sha256(bytes), u64be(epoch));
}
