/** ACP parameters (SPEC §7 defaults) and the quorum rule. */
import { ConsensusError } from '../errors.ts';
import { DEFAULT_MAX_TIMEOUT_SCALE } from './timeouts.ts';

export interface AcpParams {
  /** Up to this many managers the potential and final committees are the whole ring (16). */
  readonly fullCommitteeUpTo: number;
  /** Potential committee size m above that: the m lowest weights (32). */
  readonly potentialSize: number;
  /** Expected final committee size E, chosen by VRF among the potential committee (16). */
  readonly expectedFinalSize: number;
  /** Parallel PBFT instances led by the lowest VRF outputs with a valid output (2) / highest with empty (1). */
  readonly validLeaders: number;
  readonly emptyLeaders: number;
  readonly proposalWaitMs: number;
  /**
   * A node without its own value for the round when it starts (its application is still applying the block just
   * decided, or building the next) starts its proposal wait when the value comes, but no later than this past the
   * round's start (default 500).
   */
  readonly valueWaitMs?: number;
  readonly stepTimeoutMs: number;
  /** The tentative-consensus barrier SBR, measured from the start of the round. */
  readonly sbrMs: number;
  /**
   * Cap on the timeout scale (default 8): the proposal wait, valueWaitMs, the step timeout and SBR grow ×1.5 after
   * each of a node's rounds that fails (tentative, in short) and shrink ÷1.25 after each that ends final, within
   * [1, this] (acp/timeouts.ts, docs/consensus.md "Timeouts that adapt"). 1 keeps the timeouts fixed.
   */
  readonly maxTimeoutScale?: number;
  /** Overrides ⌊2E/3⌋ + 1. Only the tests' deliberately broken variants set it. */
  readonly quorumOverride?: number;
}

export const DEFAULT_VALUE_WAIT_MS = 1_000;

export const DEFAULT_ACP_PARAMS: AcpParams = {
  fullCommitteeUpTo: 16,
  potentialSize: 32,
  expectedFinalSize: 16,
  validLeaders: 2,
  emptyLeaders: 1,
  proposalWaitMs: 200,
  stepTimeoutMs: 200,
  sbrMs: 2000,
};

/** E: the ring size while committees are the whole ring, else the expected final committee size. */
export function expectedCommitteeSize(params: AcpParams, ringSize: number): number {
  return ringSize <= params.fullCommitteeUpTo ? ringSize : params.expectedFinalSize;
}

/** ⌊2E/3⌋ + 1. */
export function quorumOf(params: AcpParams, ringSize: number): number {
  if (params.quorumOverride !== undefined) return params.quorumOverride;
  return Math.floor((2 * expectedCommitteeSize(params, ringSize)) / 3) + 1;
}

export function checkParams(params: AcpParams, ringSize: number): void {
  if (ringSize < 1) throw new ConsensusError('BAD_CONFIG', 'the ring has no members');
  if (params.expectedFinalSize > params.potentialSize) {
    throw new ConsensusError('BAD_CONFIG', 'expected final committee larger than the potential committee');
  }
  for (const ms of [params.proposalWaitMs, params.stepTimeoutMs, params.sbrMs]) {
    if (!(ms > 0)) throw new ConsensusError('BAD_CONFIG', 'timeouts must be positive');
  }
  if ((params.valueWaitMs ?? DEFAULT_VALUE_WAIT_MS) < 0) throw new ConsensusError('BAD_CONFIG', 'timeouts must be positive');
  const cap = params.maxTimeoutScale ?? DEFAULT_MAX_TIMEOUT_SCALE;
  if (!(cap >= 1) || !Number.isFinite(cap)) throw new ConsensusError('BAD_CONFIG', 'maxTimeoutScale must be a finite number of at least 1');
  if (params.proposalWaitMs + (params.valueWaitMs ?? DEFAULT_VALUE_WAIT_MS) + 2 * params.stepTimeoutMs >= params.sbrMs) {
    throw new ConsensusError('BAD_CONFIG', 'SBR must outlast the proposal wait and both reduction steps');
  }
}
