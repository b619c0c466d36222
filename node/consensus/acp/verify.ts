/** Checks of signed ACP messages and certificates against the committee of their round. */
import { toHex } from '../../crypto/index.ts';
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
}

/** A proposal signed by a final-committee member with a valid VRF proof; undefined otherwise. */
export function checkProposal(p: Proposal, committee: Committee, suite: CryptoSuite): CheckedProposal | undefined {
  const output = committee.vrfOutput(p.from, p.vrfProof);
  if (output === undefined || !committee.selects(output)) return undefined;
  if (!Number.isSafeInteger(p.size) || p.size < 0) return undefined;
  if (!signatureValid(p, committee, suite)) return undefined;
  const id = proposalId(p, suite.hash);
  return { proposal: p, id, idHex: toHex(id), vrfOutput: output };
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
