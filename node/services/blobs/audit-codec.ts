/**
 * Canonical CBOR of audit messages, strict on the way in (MALFORMED / TOO_LARGE only):
 * - challenge {address: 32 bytes, nonce: 32 bytes, count: 1…64}
 * - response {size, proofs: [{index, segment: 1…4096 bytes, path: [32 bytes …], digest: 32 bytes}]}
 * A response that decodes is only well-formed; whether it proves anything is audit-verify.ts's question.
 */
import { s, type CborValue } from '../../wire/index.ts';
import { ADDRESS_LENGTH } from './address.ts';
import {
  AUDIT_NONCE_LENGTH,
  checkAuditChallenge,
  MAX_AUDIT_SEGMENTS,
  type AuditChallenge,
  type AuditResponse,
} from './audit.ts';
import { decodeCanonical, encodeCanonical } from './codec.ts';
import { MAX_BLOB_SIZE, SEGMENT_SIZE } from './format.ts';
import { HASH_LENGTH } from './merkle.ts';

/** Deeper than any blob's tree (20 levels at MAX_BLOB_SIZE), so no honest path is cut. */
export const MAX_PATH_LENGTH = 32;
export const MAX_CHALLENGE_SIZE = 256;
/** MAX_AUDIT_SEGMENTS segments with full paths and their CBOR heads stay below this. */
export const MAX_RESPONSE_SIZE = 512 * 1024;

const challengeSchema = s.struct({
  address: s.bytes({ len: ADDRESS_LENGTH }),
  nonce: s.bytes({ len: AUDIT_NONCE_LENGTH }),
  count: s.uint({ max: MAX_AUDIT_SEGMENTS }),
});

const proofSchema = s.struct({
  index: s.uint({ max: MAX_BLOB_SIZE / SEGMENT_SIZE }),
  segment: s.bytes({ min: 1, max: SEGMENT_SIZE }),
  path: s.array(s.bytes({ len: HASH_LENGTH }), { max: MAX_PATH_LENGTH }),
  digest: s.bytes({ len: HASH_LENGTH }),
});

const responseSchema = s.struct({
  size: s.uint({ max: MAX_BLOB_SIZE }),
  proofs: s.array(proofSchema, { max: MAX_AUDIT_SEGMENTS }),
});

export function encodeAuditChallenge(challenge: AuditChallenge): Uint8Array {
  checkAuditChallenge(challenge);
  return encodeCanonical(
    { address: challenge.address, nonce: challenge.nonce, count: challenge.count },
    'audit challenge',
  );
}

export function decodeAuditChallenge(bytes: Uint8Array): AuditChallenge {
  const challenge = decodeCanonical(bytes, MAX_CHALLENGE_SIZE, challengeSchema, 'audit challenge');
  checkAuditChallenge(challenge);
  return challenge;
}

export function encodeAuditResponse(response: AuditResponse): Uint8Array {
  const value: CborValue = {
    size: response.size,
    proofs: response.proofs.map((proof) => ({
      index: proof.index,
      segment: proof.segment,
      path: [...proof.path],
      digest: proof.digest,
    })),
  };
  return encodeCanonical(value, 'audit response');
}

export function decodeAuditResponse(bytes: Uint8Array): AuditResponse {
  return decodeCanonical(bytes, MAX_RESPONSE_SIZE, responseSchema, 'audit response');
}
