/**
 * Forged checkpoints, as a Byzantine member holding only its own keys can make them: a real certificate moved to
 * another height, signatures replaced, too few or duplicated commits, commits in the names of non-members, a
 * wrong seed for a real base, and a chain of its own (its proposal with a VRF proof on a seed it picked, its own
 * commit, garbage for the rest). Every one must be rejected by the receiver (acp/checkpoint.ts).
 */
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import { proposalId, signingBytes, vrfAlpha } from '../sign-bytes.ts';
import type { Checkpoint, Commit, Proposal } from '../types.ts';
import type { SeededRandom } from '../../net/sim/index.ts';

export interface ForgerContext {
  readonly index: number;
  readonly n: number;
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly random: SeededRandom;
  readonly quorum?: number;
}

export const FORGERIES = ['moved', 'garbage-sigs', 'too-few', 'duplicates', 'outsiders', 'wrong-seed', 'own-chain'] as const;
export type Forgery = (typeof FORGERIES)[number];

/** One forged checkpoint of the given kind, from the real one this node could give (or none) and its final height. */
export function forgeCheckpoint(ctx: ForgerContext, kind: Forgery, real: Checkpoint | undefined, finalHeight: number): Checkpoint {
  const r = ctx.random;
  const quorum = ctx.quorum ?? Math.floor((2 * ctx.n) / 3) + 1;
  if (real === undefined || kind === 'own-chain') return ownChain(ctx, Math.max(real?.height ?? 0, finalHeight) + 1 + r.int(3), quorum);
  const commits = real.commits;
  switch (kind) {
    case 'moved':
      return { ...real, from: ctx.index, height: real.height + 1 + r.int(3) };
    case 'garbage-sigs':
      return { ...real, from: ctx.index, commits: commits.map((c) => ({ ...c, sig: r.bytes(c.sig.length) })) };
    case 'too-few':
      return { ...real, from: ctx.index, commits: commits.slice(0, quorum - 1) };
    case 'duplicates':
      return { ...real, from: ctx.index, commits: Array.from({ length: quorum }, () => commits[0]!) };
    case 'outsiders':
      return { ...real, from: ctx.index, commits: commits.map((c, i) => ({ ...c, from: ctx.n + i })) };
    case 'wrong-seed':
      return real.base === undefined
        ? { ...real, from: ctx.index, base: ownProposal(ctx, real.height, r.bytes(32)).proposal, seed: r.bytes(32) }
        : { ...real, from: ctx.index, seed: r.bytes(32) };
  }
}

/** `count` forgeries of random kinds. */
export function forgeCheckpoints(ctx: ForgerContext, real: Checkpoint | undefined, finalHeight: number, count: number): Checkpoint[] {
  return Array.from({ length: count }, () => forgeCheckpoint(ctx, FORGERIES[ctx.random.int(FORGERIES.length)]!, real, finalHeight));
}

function ownProposal(ctx: ForgerContext, height: number, seed: Uint8Array): { proposal: Proposal } {
  const unsigned = {
    kind: 'proposal' as const,
    height,
    from: ctx.index,
    prev: ctx.random.bytes(32),
    valueHash: ctx.random.bytes(32),
    size: 1 + ctx.random.int(1000),
    vrfProof: ctx.keys.vrfProve(vrfAlpha(seed, height)).proof,
  };
  return { proposal: { ...unsigned, sig: ctx.keys.sign(signingBytes(unsigned, ctx.suite.hash)) } };
}

/** A block of its own at `height`: its proposal on a seed it chose, its own valid commit, garbage for the rest. */
function ownChain(ctx: ForgerContext, height: number, quorum: number): Checkpoint {
  const seed = ctx.random.bytes(32);
  const { proposal } = ownProposal(ctx, height, seed);
  const id = proposalId(proposal, ctx.suite.hash);
  const own = { kind: 'commit' as const, height, from: ctx.index, id };
  const commits: Commit[] = [{ ...own, sig: ctx.keys.sign(signingBytes(own, ctx.suite.hash)) }];
  for (let i = 0; commits.length < quorum && i < ctx.n; i++) {
    if (i !== ctx.index) commits.push({ kind: 'commit', height, from: i, id, sig: ctx.random.bytes(commits[0]!.sig.length) });
  }
  return { kind: 'checkpoint', from: ctx.index, height, base: proposal, seed, commits };
}
