/** Checks of signed ACP messages and certificates against the committee of their round. */
import { bytesEqual, toHex } from '../../crypto/index.ts';
import type { CryptoSuite } from '../crypto-suite.ts';
import { proposalId, signingBytes } from '../sign-bytes.ts';
import type { Commit, Hash, Prepare, Proposal, SignedAcpMessage } from '../types.ts';
import type { Committee } from './committee.ts';

export function signatureValid(m: SignedAcpMessage, committee: Committee, suite: CryptoSuite): boolean {
  const key = committee.publicKey(m.from);
  if (key === undefined || m.height !== committee.height) return false;
  return suite.verify(key, signingBytes(m, suite.hash), m.sig);
}

/** A vote-like message (vote, prepare, commit, pre-prepare) from a final-committee member, correctly signed. */
export function voteValid(m: SignedAcpMessage, committee: Committee, suite: CryptoSuite): boolean {
  const cred = m.kind === 'proposal' ? m.vrfProof : m.cred;
  return committee.isFinalMember(m.from, cred) && signatureValid(m, committee, suite);
}

export interface CheckedProposal {
  readonly proposal: Proposal;
  readonly id: Hash;
  readonly idHex: string;
  readonly vrfOutput: Uint8Array;
  /** The VRF proof was verified (else `vrfOutput` is only what it claims: see `confirmProposal`). */
  vrfConfirmed: boolean;
}

/**
 * A proposal signed by a final-committee member with a valid VRF proof; undefined otherwise. `lazy` (allowed
 * while the committee is the whole ring, where the output selects nobody): the proof's claimed output is read
 * and its verification left to `confirmProposal`, which every use of the output goes through.
 */
export function checkProposal(p: Proposal, committee: Committee, suite: CryptoSuite, lazy = false): CheckedProposal | undefined {
  const deferred = lazy && committee.full;
  const output = deferred ? committee.vrfClaim(p.from, p.vrfProof) : committee.vrfOutput(p.from, p.vrfProof);
  if (output === undefined || !committee.selects(output)) return undefined;
  if (!Number.isSafeInteger(p.size) || p.size < 0) return undefined;
  if (!signatureValid(p, committee, suite)) return undefined;
  const id = proposalId(p, suite.hash);
  return { proposal: p, id, idHex: toHex(id), vrfOutput: output, vrfConfirmed: !deferred };
}

/** Verifies a lazily checked proposal's VRF proof (once): true when it proves the output the proposal claimed. */
export function confirmProposal(p: CheckedProposal, committee: Committee): boolean {
  if (p.vrfConfirmed) return true;
  const verified = committee.vrfOutput(p.proposal.from, p.proposal.vrfProof);
  p.vrfConfirmed = verified !== undefined && bytesEqual(verified, p.vrfOutput);
  return p.vrfConfirmed;
}

/**
 * A quorum certificate: at least `committee.quorum` messages for (height, id) from distinct final-committee
 * members with valid signatures. Returns the valid messages or undefined.
 */
export function checkCertificate<M extends Prepare | Commit>(
  messages: readonly M[],
  id: Hash,
  committee: Committee,
  suite: CryptoSuite,
): M[] | undefined {
  const idHex = toHex(id);
  const seen = new Set<number>();
  const valid: M[] = [];
  for (const m of messages) {
    if (seen.has(m.from) || toHex(m.id) !== idHex) continue;
    if (!voteValid(m, committee, suite)) continue;
    seen.add(m.from);
    valid.push(m);
  }
  return valid.length >= committee.quorum ? valid : undefined;
}
