/**
 * The auditor's side: check a response against the challenge and the content address alone. Every pick must be
 * answered in order, with a segment of the length its position has, the digest for this nonce, and a path that
 * leads to one top from which the claimed size gives the address.
 */
import { bytesEqual } from '../../crypto/index.ts';
import { blobAddress } from './address.ts';
import { type AuditChallenge, auditIndices, type AuditResponse, segmentDigest } from './audit.ts';
import { BlobError } from './errors.ts';
import { MAX_BLOB_SIZE, segmentCount, segmentLength } from './format.ts';
import { segmentLeaf, topFromPath } from './merkle.ts';

function refuse(message: string): never {
  throw new BlobError('BAD_PROOF', message);
}

/** Returns when the response proves the picked segments; BAD_PROOF (naming the first failure) otherwise. */
export function verifyAudit(challenge: AuditChallenge, response: AuditResponse): void {
  const { size, proofs } = response;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_BLOB_SIZE) refuse(`size ${size} is not a blob size`);
  const segments = segmentCount(size);
  const picks = auditIndices(challenge, segments);
  if (proofs.length !== picks.length) refuse(`${proofs.length} proofs for ${picks.length} picks`);
  let top: Uint8Array | undefined;
  for (const [j, proof] of proofs.entries()) {
    const index = picks[j] as number;
    if (proof.index !== index) refuse(`proof ${j} is for segment ${proof.index}, the pick is ${index}`);
    if (proof.segment.length !== segmentLength(size, index)) refuse(`segment ${index} has the wrong length`);
    if (!bytesEqual(proof.digest, segmentDigest(challenge, index, proof.segment))) {
      refuse(`digest of segment ${index} is not for this challenge`);
    }
    const implied = topFromPath(segmentLeaf(proof.segment), index, segments, proof.path);
    if (implied === undefined) refuse(`path of segment ${index} has the wrong shape`);
    if (top !== undefined && !bytesEqual(top, implied)) refuse(`segment ${index} leads to another tree`);
    top = implied;
  }
  if (!bytesEqual(blobAddress(size, top), challenge.address)) refuse('the proofs do not lead to the address');
}

/** verifyAudit as a verdict: true when the holder passed. */
export function auditPasses(challenge: AuditChallenge, response: AuditResponse): boolean {
  try {
    verifyAudit(challenge, response);
    return true;
  } catch (error) {
    if (error instanceof BlobError && error.code === 'BAD_PROOF') return false;
    throw error;
  }
}
