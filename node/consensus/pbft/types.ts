/**
 * The single-leader PBFT baseline of SPEC §7: messages and parameters. One height at a time; in view v of height
 * h the leader is (h + v) mod n, so leadership rotates every height. The agreed value is an opaque 32-byte hash;
 * the block id of height h is H("AME-PBFT-block" ‖ h ‖ valueHash), its parent the block decided at h − 1.
 */
import type { ConsensusEvent, ConsensusOutput, Hash } from '../types.ts';

/** The leader of view `view` starts agreement on `valueHash` at `height`. */
export interface PbftPrePrepare {
  readonly kind: 'preprepare';
  readonly height: number;
  readonly view: number;
  readonly from: number;
  readonly valueHash: Hash;
  readonly sig: Uint8Array;
}

export interface PbftPrepare {
  readonly kind: 'prepare';
  readonly height: number;
  readonly view: number;
  readonly from: number;
  readonly id: Hash;
  readonly sig: Uint8Array;
}

/** Shaped like ACP's Commit (plus the view), so a certificate is a `Decide.certificate`. */
export interface PbftCommit {
  readonly kind: 'commit';
  readonly height: number;
  readonly view: number;
  readonly from: number;
  readonly id: Hash;
  readonly sig: Uint8Array;
}

/** A quorum of prepares for one value in one view: that value is the only one that may have been committed. */
export interface PreparedCertificate {
  readonly view: number;
  readonly valueHash: Hash;
  readonly prepares: readonly PbftPrepare[];
}

/** "Move to `view`": with the sender's highest prepared certificate at this height, if any. */
export interface PbftViewChange {
  readonly kind: 'view-change';
  readonly height: number;
  readonly view: number;
  readonly from: number;
  readonly prepared?: PreparedCertificate;
  readonly sig: Uint8Array;
}

/** The new leader's proof that a quorum moved to `view`, and its pre-prepare (bound by those certificates). */
export interface PbftNewView {
  readonly kind: 'new-view';
  readonly viewChanges: readonly PbftViewChange[];
  readonly prePrepare: PbftPrePrepare;
}

/** A decided height and its commit certificate (self-verifying, so unsigned). Also the answer to a sync. */
export interface PbftDecision {
  readonly kind: 'decision';
  readonly height: number;
  readonly valueHash: Hash;
  readonly commits: readonly PbftCommit[];
}

/** "Send me your decisions from `height` on." */
export interface PbftSync {
  readonly kind: 'sync';
  readonly from: number;
  readonly height: number;
}

export type PbftMessage = PbftPrePrepare | PbftPrepare | PbftCommit | PbftViewChange | PbftNewView | PbftDecision | PbftSync;
export type SignedPbftMessage = PbftPrePrepare | PbftPrepare | PbftCommit | PbftViewChange;
export type PbftEvent = ConsensusEvent<PbftMessage>;
export type PbftOutput = ConsensusOutput<PbftMessage>;

export interface PbftParams {
  /** A view without a decision for this long ends in a view change (SPEC §7: 2 × the fault-free p99 round). */
  readonly viewTimeoutMs: number;
  /** Overrides ⌊2n/3⌋ + 1. Only the tests' deliberately broken variant sets it. */
  readonly quorumOverride?: number;
}

export const DEFAULT_PBFT_PARAMS: PbftParams = { viewTimeoutMs: 400 };

export function pbftQuorum(params: PbftParams, n: number): number {
  return params.quorumOverride ?? Math.floor((2 * n) / 3) + 1;
}

export function leaderOf(height: number, view: number, n: number): number {
  return (height + view) % n;
}
