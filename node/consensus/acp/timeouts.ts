/**
 * Round timeouts that follow how long this node's rounds really take (docs/consensus.md "Timeouts that adapt").
 * ACP has one round per height, so Tendermint's rule — grow the timeouts with each failed round of a height — is
 * applied across heights: a round of this node's that fails (ends at SBR without final consensus, is overtaken by
 * others' tentative blocks, or ends final but empty after proposals came too late for its vote — node.ts) grows
 * the scale, one that ends final otherwise shrinks it back toward 1. The scale depends only on the node's own
 * round outcomes (no clock, no randomness), so the state machine and the simulator stay deterministic.
 */

/** Growth after a failed round: three in a row give 3.4 × (SBR 6.75 s at the defaults). */
export const TIMEOUT_GROWTH = 1.5;
/**
 * Shrinkage per final round. Slower than the growth (1.25 < 1.5): a scale too large costs a healthy round nothing
 * (every step ends early on its quorum, the proposal wait on the last proposal), one too small costs a whole
 * tentative round, so a ring that only just fits settles about two final rounds per failed one, and a ring
 * back to health returns from the cap to exactly 1 in ten final rounds.
 */
export const TIMEOUT_DECAY = 1.25;
/**
 * Default cap (AcpParams.maxTimeoutScale): SBR 16 s at the defaults — rounds of 16 managers sharing two cores
 * with 1 MiB blocks fit, and a ring whose rounds stall for a real reason (a partition) still tries every 16 s.
 */
export const DEFAULT_MAX_TIMEOUT_SCALE = 8;

export class TimeoutScale {
  readonly #max: number;
  #scale = 1;

  constructor(max: number) {
    this.#max = max;
  }

  get value(): number {
    return this.#scale;
  }

  /** A round of this node's failed: no final block in time (node.ts says which rounds count). */
  grow(): void {
    this.#scale = Math.min(this.#max, this.#scale * TIMEOUT_GROWTH);
  }

  /** A round of this node's ended final by certificate while it was still running. */
  shrink(): void {
    this.#scale = Math.max(1, this.#scale / TIMEOUT_DECAY);
  }

  /** `ms` scaled, in whole milliseconds; exactly `ms` at scale 1 (a ring that never goes tentative keeps its timings). */
  of(ms: number): number {
    return this.#scale === 1 ? ms : Math.round(ms * this.#scale);
  }
}
