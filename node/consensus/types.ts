/**
 * Messages, events and outputs of the consensus state machines. The core agrees on opaque values identified by a
 * 32-byte hash (as CometBFT's consensus is independent of the application): a proposal names the application's
 * value by `valueHash` and its transaction size, and the block the consensus layer chains is
 * (height, prev, proposal) — or the empty block of a height, whose id depends only on (height, prev).
 */
export type Hash = Uint8Array;

/** Stage II: a final-committee member's candidate, with its VRF proof on the round seed (membership and RS). */
export interface Proposal {
  readonly kind: 'proposal';
  readonly height: number;
  readonly from: number;
  readonly prev: Hash;
  readonly valueHash: Hash;
  /** Transaction bytes of the value: the largest proposal wins (§2.2.4), ties by the lowest id. */
  readonly size: number;
  readonly vrfProof: Uint8Array;
  readonly sig: Uint8Array;
}

/** Stage III: a reduction vote, step 1 or 2. `cred` is the voter's VRF proof when committees are sampled. */
export interface Vote {
  readonly kind: 'vote';
  readonly step: 1 | 2;
  readonly height: number;
  readonly from: number;
  readonly id: Hash;
  readonly cred?: Uint8Array;
  readonly sig: Uint8Array;
}

/** Stage IV: the leader of one parallel PBFT instance starts it with its reduction output. */
export interface PrePrepare {
  readonly kind: 'preprepare';
  readonly height: number;
  readonly from: number;
  readonly prev: Hash;
  readonly id: Hash;
  /** The proposal behind `id`; absent for the empty block. */
  readonly proposal?: Proposal;
  readonly cred?: Uint8Array;
  readonly sig: Uint8Array;
}

export interface Prepare {
  readonly kind: 'prepare';
  readonly height: number;
  readonly from: number;
  readonly leader: number;
  readonly id: Hash;
  readonly cred?: Uint8Array;
  readonly sig: Uint8Array;
}

export interface Commit {
  readonly kind: 'commit';
  readonly height: number;
  readonly from: number;
  readonly id: Hash;
  readonly cred?: Uint8Array;
  readonly sig: Uint8Array;
}

/** One block of a chain with the evidence that makes it checkable by anyone. */
export interface BlockEvidence {
  readonly height: number;
  readonly prev: Hash;
  /** Absent for an empty block. */
  readonly proposal?: Proposal;
  /** A quorum of prepares: the block is the one value of its height that may have been committed. */
  readonly prepares?: readonly Prepare[];
  /** A quorum of commits: the final-consensus certificate. */
  readonly commits?: readonly Commit[];
}

/** Propagation (stage P): a final block and its certificate. Unsigned — the certificate is self-verifying. */
export interface Decision {
  readonly kind: 'decision';
  readonly block: BlockEvidence;
}

/** A node's chain since its last final block: sent at the tentative barrier (SBR) and in answer to a sync. */
export interface Status {
  readonly kind: 'status';
  readonly from: number;
  readonly blocks: readonly BlockEvidence[];
}

/** Recovery: asks a peer for its chain from `height` on (a lagging node catching up). */
export interface SyncRequest {
  readonly kind: 'sync';
  readonly from: number;
  readonly height: number;
}

/**
 * Catch-up past pruned history, the answer to a `sync` its sender can no longer serve: its latest final block's
 * commit certificate, checkable without the blocks before it. Unsigned — the certificate is self-verifying.
 * The certified block at `height` is the block of `base` (when `base.height === height`) or the empty
 * descendant of it at `height` through empty blocks only; without `base`, the empty descendant of the
 * receiver's own final head. `seed` is RS(base.height), the seed the base's round ran on: its VRF proof checks
 * only on that seed, and the seeds of the empty blocks above follow from it.
 */
export interface Checkpoint {
  readonly kind: 'checkpoint';
  readonly from: number;
  readonly height: number;
  /** The highest non-empty final block at or below `height` (its proposal). Present iff `seed` is. */
  readonly base?: Proposal;
  readonly seed?: Hash;
  /** The commit certificate of the block at `height`. */
  readonly commits: readonly Commit[];
}

export type AcpMessage = Proposal | Vote | PrePrepare | Prepare | Commit | Decision | Status | SyncRequest | Checkpoint;
export type SignedAcpMessage = Proposal | Vote | PrePrepare | Prepare | Commit;

/** ACP: 'value' bounds how long a round's proposal wait may be deferred for the node's own value. */
export type TimerName = 'proposal' | 'value' | 'step1' | 'step2' | 'sbr' | 'view';

export type ConsensusEvent<M> =
  | { readonly kind: 'start' }
  | { readonly kind: 'message'; readonly message: M }
  | { readonly kind: 'timer'; readonly name: TimerName; readonly height: number; readonly epoch: number }
  /**
   * The application's value (a block body snapshot). Without `height` it is proposed from the next round this node
   * proposes in. With `height` it is that round's value: an ACP node entering a round without a value for it waits
   * for one until its proposal wait ends (an application whose value depends on the decision just made — a block
   * built on the new head — can so give it after the round has started).
   */
  | { readonly kind: 'value'; readonly valueHash: Hash; readonly size: number; readonly height?: number };

export type DecideKind = 'final' | 'tentative';

export interface Decide {
  readonly kind: 'decide';
  readonly height: number;
  /** ACP: equals height (one block per round); PBFT: the view in which it was decided. */
  readonly round: number;
  readonly id: Hash;
  readonly prev: Hash;
  /** The application value, or undefined for the empty block. */
  readonly valueHash: Hash | undefined;
  readonly decision: DecideKind;
  /**
   * Final: how — by its own certificate, confirmed by the certificate of the final successor at `by`, or adopted
   * from a peer's checkpoint (its own certificate too; the node skipped every height between its previous final
   * block and this one, and decided none of them: the application must obtain this block's state by state sync).
   */
  readonly via?: 'certificate' | 'successor' | 'checkpoint';
  readonly by?: number;
  readonly certificate?: readonly Commit[];
  /** ACP final blocks: RS(height + 1), the seed of the next round — what an anchor at this block needs. */
  readonly nextSeed?: Hash;
}

export type ConsensusOutput<M> =
  | { readonly kind: 'broadcast'; readonly message: M }
  | { readonly kind: 'send'; readonly to: number; readonly message: M }
  | {
      readonly kind: 'set-timer';
      readonly name: TimerName;
      readonly height: number;
      readonly epoch: number;
      readonly delayMs: number;
    }
  | Decide;

export type AcpEvent = ConsensusEvent<AcpMessage>;
export type AcpOutput = ConsensusOutput<AcpMessage>;

/** A consensus state machine: everything it does is a function of the events it was given. */
export interface ConsensusNode<M> {
  readonly index: number;
  handle(event: ConsensusEvent<M>): ConsensusOutput<M>[];
}
