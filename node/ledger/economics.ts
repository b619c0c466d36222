/**
 * The numbers of SPEC §7 as pure functions over bigint micro-units. Every division rounds down; the caller
 * leaves the remainder in the account it pays from.
 */
import type { LedgerParams } from './params.ts';

const BPS = 10_000n;
/** 1 ABC = 1000 ABIT, so 1 a ↔ 1000 bt. */
export const BT_PER_A = 1000n;

/** U_r = U_1 · (1 + g · (r − 1)) (7.5), with g in basis points. */
export function fundRelease(params: LedgerParams, period: bigint): bigint {
  if (period < 1n) return 0n;
  return (params.fundReleaseFirst * (BPS + params.releaseGrowthBps * (period - 1n))) / BPS;
}

/** M: U_r spread over the period's expected blocks. */
export function blockReward(params: LedgerParams, period: bigint): bigint {
  return fundRelease(params, period) / params.blocksPerPeriod;
}

/** M · f with f = min(1, (C_final + k) / C_limit), k = C_limit / divisor (7.9–7.11), rounded down. */
export function scaledReward(params: LedgerParams, reward: bigint, txBytes: bigint): bigint {
  const limit = params.blockLimitBytes;
  const k = limit / params.fullnessDivisor;
  const filled = txBytes + k;
  return filled >= limit ? reward : (reward * filled) / limit;
}

export interface RewardSplit {
  readonly miner: bigint;
  readonly leaders: bigint;
  readonly verifiers: bigint;
}

/** miner : leaders : verifiers = 5 : 3 : 2 of M·f (7.7); each part rounded down. */
export function splitReward(params: LedgerParams, total: bigint): RewardSplit {
  const parts = params.minerParts + params.leaderParts + params.verifierParts;
  return {
    miner: (total * params.minerParts) / parts,
    leaders: (total * params.leaderParts) / parts,
    verifiers: (total * params.verifierParts) / parts,
  };
}

/** The miner's ⌊T · bps⌋ of the fees (default ⌊T/2⌋) and the rest for the worker fee pool. */
export function splitFees(params: LedgerParams, fees: bigint): { miner: bigint; pool: bigint } {
  const miner = (fees * params.minerFeeBps) / BPS;
  return { miner, pool: fees - miner };
}

/**
 * Pays `amounts` out of `available`: in full when it covers their sum, otherwise each scaled down pro rata
 * (⌊a · available / sum⌋), never more than there is.
 */
export function proRata(amounts: readonly bigint[], available: bigint): bigint[] {
  let sum = 0n;
  for (const a of amounts) sum += a;
  if (sum <= available) return [...amounts];
  return amounts.map((a) => (a * available) / sum);
}

/** `total` split by weights: ⌊total · w / Σw⌋ each (nothing when Σw is 0). */
export function proportional(total: bigint, weights: readonly bigint[]): bigint[] {
  let sum = 0n;
  for (const w of weights) sum += w;
  return weights.map((w) => (sum === 0n ? 0n : (total * w) / sum));
}

/** The part of a period's income frozen as an option tranche (default 20 %). */
export function frozenPart(params: LedgerParams, income: bigint): bigint {
  return (income * params.optionFreezeBps) / BPS;
}

/**
 * What a tranche has released by `now`: one equal daily part per whole day since its start, the remainder of
 * the division with the last part.
 */
export function vested(params: LedgerParams, tranche: { total: bigint; start: bigint }, now: bigint): bigint {
  if (now <= tranche.start) return 0n;
  const days = (now - tranche.start) / params.dayMs;
  if (days >= params.optionDays) return tranche.total;
  return (tranche.total / params.optionDays) * days;
}

/** The period's ABIT chat allowance budget in bt: 1000 × U_r × share (7.6). */
export function allowanceBudget(params: LedgerParams, period: bigint): bigint {
  return (fundRelease(params, period) * BT_PER_A * params.allowanceShareBps) / BPS;
}

/** ABIT received for services → the ABC work reward: received / 1000 (bt → a). */
export function workReward(receivedBt: bigint): bigint {
  return receivedBt / BT_PER_A;
}
