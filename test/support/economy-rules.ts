/**
 * SPEC §7 "Economics", formula by formula, for the independent model (economy-model.ts) to apply. Written from the
 * SPEC's text and importing no ledger code (only the parameter type), so a test that compares the ledger with the
 * model does not check the ledger's code against itself.
 *
 * All in integer micro-units (1 ABC = 10⁶ a, 1 ABIT = 10⁶ bt), every division rounding down and its remainder
 * staying where it was paid from:
 *
 * - Genesis: investors 20 %, reserve 20 %, research 10 %, early developers 10 %, the ecosystem fund the rest; the
 *   fund releases U_1 into the reward pool for period 1. Period r releases U_r = U_1 · (1 + g · (r − 1)) (7.5).
 * - A final block pays M = U_r / (expected blocks of the period) scaled by f = min(1, (C + k) / C_limit),
 *   k = C_limit / 10 (7.9–7.11), split 5 : 3 : 2 (7.7): the miner (proposer) 5/10, the PBFT instance leaders 3/10
 *   in equal parts, the certificate's voters 2/10 in equal parts. The miner also gets ⌊T/2⌋ of the block's fees T,
 *   the rest goes to the worker fee pool.
 * - Converting burns ABC and mints 1000 × as much ABIT (1 a → 1000 bt); received ABIT earns received / 1000 ABC of
 *   work reward at the period close.
 * - Pools are shared by weight, ⌊total · w / Σw⌋, the remainder staying in the pool: the worker fee pool by the
 *   nodes' workload units, the ABIT chat allowance (1000 × U_r × share) by ABC held.
 * - 20 % of an account's income of the period is frozen as a tranche released in 30 equal daily parts, the
 *   remainder of the division on the last day.
 */
import type { LedgerParams } from '../../node/ledger/params.ts';

const BPS = 10_000n;
/** 1 ABC → 1000 ABIT: 1 a ↔ 1000 bt. */
export const BT_PER_A = 1_000n;

type Params = LedgerParams;

/** The genesis accounts' parts of the supply; the ecosystem fund holds the rest. */
export function genesisShares(supply: bigint): { investors: bigint; reserve: bigint; research: bigint; earlyDevelopers: bigint } {
  return { investors: (supply * 20n) / 100n, reserve: (supply * 20n) / 100n, research: (supply * 10n) / 100n, earlyDevelopers: (supply * 10n) / 100n };
}

/** U_r, the fund's release into the reward pool for period r (7.5); growth in basis points. */
export function periodRelease(p: Params, r: bigint): bigint {
  return r < 1n ? 0n : (p.fundReleaseFirst * (BPS + p.releaseGrowthBps * (r - 1n))) / BPS;
}

/** M · f for a block of period r holding `txBytes` of transactions. */
export function blockRewardOf(p: Params, r: bigint, txBytes: bigint): bigint {
  const m = periodRelease(p, r) / p.blocksPerPeriod;
  const k = p.blockLimitBytes / p.fullnessDivisor;
  return txBytes + k >= p.blockLimitBytes ? m : (m * (txBytes + k)) / p.blockLimitBytes;
}

export interface BlockPay {
  /** The miner's 5/10 of M·f (from the reward pool). */
  readonly miner: bigint;
  /** The miner's ⌊T/2⌋ of the fees. */
  readonly minerFee: bigint;
  /** Each leader's part. */
  readonly leaderEach: bigint;
  /** Each voter's part (paid by the next block). */
  readonly voterEach: bigint;
  /** The verifiers' whole 2/10, of which voters × voterEach is paid. */
  readonly verifiers: bigint;
  /** The fees' half that goes to the worker fee pool. */
  readonly feePool: bigint;
}

/** What a final block pays: M·f split 5 : 3 : 2, and its fees T split ⌊T/2⌋ to the miner, the rest to the fee pool. */
export function blockPay(p: Params, reward: bigint, fees: bigint, leaders: number, voters: number): BlockPay {
  const parts = p.minerParts + p.leaderParts + p.verifierParts;
  const leadersPart = (reward * p.leaderParts) / parts;
  const verifiers = (reward * p.verifierParts) / parts;
  const minerFee = (fees * p.minerFeeBps) / BPS;
  return {
    miner: (reward * p.minerParts) / parts,
    minerFee,
    leaderEach: leaders === 0 ? 0n : leadersPart / BigInt(leaders),
    voterEach: voters === 0 ? 0n : verifiers / BigInt(voters),
    verifiers,
    feePool: fees - minerFee,
  };
}

/** The tranche frozen from a period's income (20 %), its daily part and its last day's part. */
export function tranche(p: Params, income: bigint): { frozen: bigint; daily: bigint; last: bigint } {
  const frozen = (income * p.optionFreezeBps) / BPS;
  const daily = frozen / p.optionDays;
  return { frozen, daily, last: frozen - daily * (p.optionDays - 1n) };
}

/** What a tranche of `total` started at `start` has released by time `at`: whole days only, all of it on the last. */
export function released(p: Params, total: bigint, start: bigint, at: bigint): bigint {
  if (at <= start) return 0n;
  const days = (at - start) / p.dayMs;
  return days >= p.optionDays ? total : (total / p.optionDays) * days;
}

/** ABC earned for received ABIT (bt): received / 1000. */
export function workRewardOf(receivedBt: bigint): bigint {
  return receivedBt / BT_PER_A;
}

/** The ABIT (bt) of period r's chat allowance: 1000 × U_r × share. */
export function allowanceBudget(p: Params, r: bigint): bigint {
  return (periodRelease(p, r) * BT_PER_A * p.allowanceShareBps) / BPS;
}

/** ⌊total · w / Σw⌋ for each weight. */
export function shares(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  return weights.map((w) => (sum === 0n ? 0n : (total * w) / sum));
}
