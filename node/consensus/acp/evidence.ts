/** Blocks as checkable evidence: what Decision and Status messages carry, and how a receiver checks them. */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite } from '../crypto-suite.ts';
import { emptyId, proposalId } from '../sign-bytes.ts';
import type { BlockEvidence } from '../types.ts';
import type { BlockRecord, BlockStore } from './chain.ts';
import type { Committee } from './committee.ts';
import { checkCertificate, checkProposal } from './verify.ts';

export function evidenceOf(block: BlockRecord): BlockEvidence {
  return {
    height: block.height,
    prev: block.prev,
    ...(block.proposal !== undefined ? { proposal: block.proposal } : {}),
    ...(block.prepares !== undefined && block.commits === undefined ? { prepares: block.prepares } : {}),
    ...(block.commits !== undefined ? { commits: block.commits } : {}),
  };
}

export type ImportResult =
  | { readonly kind: 'ok'; readonly block: BlockRecord; readonly newlyPrepared: boolean }
  | { readonly kind: 'missing-parent' }
  | { readonly kind: 'invalid' };

/**
 * Checks one block of evidence against the committee of its round (computed from its parent's seed) and adds it
 * to the store, with its prepare certificate if it carries a valid one. A commit certificate is checked and
 * returned for the caller to finalise.
 */
export function importEvidence(
  e: BlockEvidence,
  store: BlockStore,
  committeeFor: (seed: Uint8Array, height: number) => Committee,
  suite: CryptoSuite,
): ImportResult & { commits?: BlockRecord['commits'] } {
  const parent = store.get(toHex(e.prev));
  if (parent === undefined) return { kind: 'missing-parent' };
  if (e.height !== parent.height + 1) return { kind: 'invalid' };
  const known = store.get(toHex(e.proposal === undefined ? emptyId(e.height, e.prev, suite.hash) : proposalId(e.proposal, suite.hash)));
  if (known?.final === true) return { kind: 'ok', block: known, newlyPrepared: false };
  const committee = committeeFor(parent.nextSeed, e.height);
  let block: BlockRecord;
  if (e.proposal !== undefined) {
    const checked = checkProposal(e.proposal, committee, suite);
    if (checked === undefined || e.proposal.height !== e.height || toHex(e.proposal.prev) !== parent.idHex) {
      return { kind: 'invalid' };
    }
    block = store.withProposal(parent, e.proposal, checked.id, checked.vrfOutput);
  } else {
    block = store.empty(parent);
  }
  let newlyPrepared = false;
  if (e.prepares !== undefined && block.prepares === undefined) {
    const cert = checkCertificate(e.prepares, block.id, committee, suite);
    if (cert !== undefined) {
      block.prepares = cert;
      newlyPrepared = true;
    }
  }
  if (e.commits !== undefined && !block.final) {
    const cert = checkCertificate(e.commits, block.id, committee, suite);
    if (cert !== undefined) return { kind: 'ok', block, newlyPrepared, commits: cert };
  }
  return { kind: 'ok', block, newlyPrepared };
}
