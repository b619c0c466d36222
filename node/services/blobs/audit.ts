/**
 * Proofs of storage (SPEC §6 item 5: "challenge stored blobs with nonce-hashed byte ranges"). An auditor who
 * holds nothing but a blob's content address sends a challenge {address, nonce, count}; the holder answers, for
 * each of `count` segments the nonce picks, the segment (a byte range of at most 4 KiB), its Merkle path to the
 * blob's top, and digest = SHA-256('AME-BLOB-AUDIT-v1' ‖ 0x00 ‖ nonce ‖ address ‖ u64be(index) ‖ segment).
 * The auditor recomputes the top from every segment and path and the address from the top and the claimed size
 * (audit-verify.ts); the address fixes the size, so a holder cannot claim another size to move the picks.
 *
 * Picks: index_j = u64be(first 8 bytes of SHA-256('AME-BLOB-AUDIT-INDEX-v1' ‖ 0x00 ‖ address ‖ nonce ‖
 * u64be(j))) mod n for j = 0…count−1, with n the blob's segment count. Anyone recomputes them from the
 * challenge; nobody predicts them before the nonce (fresh randomness of the auditor). They are drawn with
 * replacement and the modulo bias is below n / 2^64 (at most 2^-44 here), so each pick is uniform on the
 * segments for all practical purposes.
 *
 * Detection: a holder missing b of n segments (a dropped chunk is b = chunk size / 4 KiB of them, a damaged
 * segment b = 1) is caught by one challenge with probability 1 − (1 − b/n)^count. The digest binds the answer to
 * this nonce: a response kept from an earlier challenge fails against a new one even where the picks coincide.
 */
import { domainSeparated, type RandomSource, sha256, u64be } from '../../crypto/index.ts';
import { ADDRESS_LENGTH } from './address.ts';
import { BlobError } from './errors.ts';

export const AUDIT_INDEX_TAG = 'AME-BLOB-AUDIT-INDEX-v1';
export const AUDIT_DIGEST_TAG = 'AME-BLOB-AUDIT-v1';
export const AUDIT_NONCE_LENGTH = 32;
/** Segments per challenge: 64 × 4 KiB keeps a response near 300 KiB. */
export const MAX_AUDIT_SEGMENTS = 64;

export interface AuditChallenge {
  readonly address: Uint8Array;
  readonly nonce: Uint8Array;
  readonly count: number;
}

export interface SegmentProof {
  readonly index: number;
  readonly segment: Uint8Array;
  /** Sibling hashes from the segment's leaf up to the blob's top (merkle.ts). */
  readonly path: readonly Uint8Array[];
  readonly digest: Uint8Array;
}

export interface AuditResponse {
  /** The blob's size, which the address confirms; it fixes the segment count the picks are drawn from. */
  readonly size: number;
  /** One proof per pick, in pick order. */
  readonly proofs: readonly SegmentProof[];
}

/** MALFORMED unless the challenge's fields have their lengths and range. */
export function checkAuditChallenge(challenge: AuditChallenge): void {
  if (!(challenge.address instanceof Uint8Array) || challenge.address.length !== ADDRESS_LENGTH) {
    throw new BlobError('MALFORMED', `audit address must be ${ADDRESS_LENGTH} bytes`);
  }
  if (!(challenge.nonce instanceof Uint8Array) || challenge.nonce.length !== AUDIT_NONCE_LENGTH) {
    throw new BlobError('MALFORMED', `audit nonce must be ${AUDIT_NONCE_LENGTH} bytes`);
  }
  if (!Number.isSafeInteger(challenge.count) || challenge.count < 1 || challenge.count > MAX_AUDIT_SEGMENTS) {
    throw new BlobError('MALFORMED', `audit count must be 1…${MAX_AUDIT_SEGMENTS}`);
  }
}

/** A fresh challenge; the nonce comes from `random` (injected, so simulations replay). */
export function newAuditChallenge(address: Uint8Array, count: number, random: RandomSource): AuditChallenge {
  const challenge = { address: address.slice(), nonce: random(AUDIT_NONCE_LENGTH).slice(), count };
  checkAuditChallenge(challenge);
  return challenge;
}

/** The segment indices a challenge picks from a blob of `segments` segments (none for the empty blob). */
export function auditIndices(challenge: AuditChallenge, segments: number): number[] {
  checkAuditChallenge(challenge);
  if (segments === 0) return [];
  const indices: number[] = [];
  for (let j = 0; j < challenge.count; j++) {
    const h = sha256(domainSeparated(AUDIT_INDEX_TAG, challenge.address, challenge.nonce, u64be(j)));
    const draw = new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0);
    indices.push(Number(draw % BigInt(segments)));
  }
  return indices;
}

/** The nonce-hashed form of one segment: what ties an answer to this challenge. */
export function segmentDigest(challenge: AuditChallenge, index: number, segment: Uint8Array): Uint8Array {
  return sha256(domainSeparated(AUDIT_DIGEST_TAG, challenge.nonce, challenge.address, u64be(index), segment));
}
