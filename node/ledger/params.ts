/**
 * Ledger parameters (SPEC §7 "every number is a ledger parameter"). Every parameter is an unsigned integer held
 * as a bigint: amounts in micro-units (a or bt), durations in ms of block time, shares in basis points (1/10,000)
 * or parts. `defaultParams` are the production numbers, `demoParams` the small ones of the worked example.
 * A change-parameter transaction sets one by name; the whole set is validated after every change.
 */
import { s } from '../wire/index.ts';
import { LedgerError } from './errors.ts';

const ABC = 1_000_000n;
const DAY_MS = 86_400_000n;

/** name → [lowest, highest] allowed value. */
const RANGES = {
  /** Length of an economic period in ms of block time (a period close is allowed once it has passed). */
  periodMs: [1n, 100n * 365n * DAY_MS],
  /** Blocks a period is expected to hold: M = U_r / blocksPerPeriod (7.8: 365·24·60·6 at 10 s a block). */
  blocksPerPeriod: [1n, 1n << 40n],
  /** U_1, the fund's release into the reward pool in period 1 (7.5), in a. */
  fundReleaseFirst: [0n, 1n << 62n],
  /** Growth of the release per period: U_r = U_1 · (1 + growth · (r − 1)), in basis points (2,000 = 0.2). */
  releaseGrowthBps: [0n, 100_000n],
  /** ABIT chat allowance per period as a share of 1000 × U_r (7.6), in basis points (1,000 = 10 %). */
  allowanceShareBps: [0n, 10_000n],
  /** Smallest ABC holding (a) that earns a share of the chat allowance. */
  allowanceMinHolding: [0n, 1n << 62n],
  /** C_limit: the most transaction bytes a block may hold. */
  blockLimitBytes: [64n, 1n << 30n],
  /** k = C_limit / fullnessDivisor in f = min(1, (C_final + k) / C_limit) (7.9–7.11). */
  fullnessDivisor: [1n, 1n << 20n],
  /** The block reward split final miner : leaders : verifiers (7.7). */
  minerParts: [0n, 1000n],
  leaderParts: [0n, 1000n],
  verifierParts: [0n, 1000n],
  /** The miner's share of the block's fees, basis points (5,000: ⌊T/2⌋; the rest goes to the worker fee pool). */
  minerFeeBps: [0n, 10_000n],
  /** Registration deposits by role, in a. */
  depositManager: [0n, 1n << 62n],
  depositWorker: [0n, 1n << 62n],
  depositTemporary: [0n, 1n << 62n],
  /** Share of a node's period income frozen as an option tranche, basis points (2,000 = 20 %). */
  optionFreezeBps: [0n, 10_000n],
  /** Daily parts a tranche is released in, and the length of a "day" in ms of block time. */
  optionDays: [1n, 10_000n],
  dayMs: [1n, 10n * DAY_MS],
  /** Smallest fee of an account-signed transaction, in a. */
  minFee: [0n, 1n << 62n],
  /** How long a closing channel still accepts settlements before its rest returns to the client. */
  channelDisputeMs: [0n, 365n * DAY_MS],
  /** Notice period of a graceful exit before the deposit returns. */
  exitNoticeMs: [0n, 365n * DAY_MS],
  /** Largest encoded transaction. */
  maxTxBytes: [256n, 1n << 24n],
  /** Prices (§6): per KiB stored per day, per KiB served, per compute unit (a), per message (bt). */
  priceStorageKibDay: [0n, 1n << 62n],
  priceServedKib: [0n, 1n << 62n],
  priceComputeUnit: [0n, 1n << 62n],
  priceMessage: [0n, 1n << 62n],
  /** A manager's fee per introduction (§7), in a. */
  introductionFee: [0n, 1n << 62n],
  /**
   * Promotion of a temporary worker (SPEC §6 item 6): served requests, audits (count and pass rate, basis
   * points), mean client score (0–100), uptime over the window (basis points), the window in days (dayMs).
   */
  promotionMinServed: [0n, 1n << 62n],
  promotionMinAudits: [0n, 1n << 32n],
  promotionAuditPassBps: [0n, 10_000n],
  promotionMinScore: [0n, 100n],
  promotionUptimeBps: [0n, 10_000n],
  /** Days of heartbeat evidence the uptime (reputation and promotion) counts; at most records.ts MAX_UPTIME_DAYS. */
  uptimeWindowDays: [1n, 365n],
} as const satisfies Record<string, readonly [bigint, bigint]>;

export type ParamName = keyof typeof RANGES;
export type LedgerParams = { readonly [K in ParamName]: bigint };

export const PARAM_NAMES = Object.keys(RANGES) as ParamName[];

export function isParamName(name: string): name is ParamName {
  return Object.hasOwn(RANGES, name);
}

export const defaultParams: LedgerParams = {
  periodMs: 365n * DAY_MS,
  blocksPerPeriod: 365n * 24n * 60n * 6n,
  fundReleaseFirst: 10_000_000n * ABC,
  releaseGrowthBps: 2_000n,
  allowanceShareBps: 1_000n,
  allowanceMinHolding: 10n * ABC,
  blockLimitBytes: 1n << 20n,
  fullnessDivisor: 10n,
  minerParts: 5n,
  leaderParts: 3n,
  verifierParts: 2n,
  minerFeeBps: 5_000n,
  depositManager: 10_000n * ABC,
  depositWorker: 100n * ABC,
  depositTemporary: 0n,
  optionFreezeBps: 2_000n,
  optionDays: 30n,
  dayMs: DAY_MS,
  minFee: 1_000n,
  channelDisputeMs: DAY_MS,
  exitNoticeMs: 7n * DAY_MS,
  maxTxBytes: 64n * 1024n,
  priceStorageKibDay: 10n,
  priceServedKib: 10n,
  priceComputeUnit: 1n,
  priceMessage: 1_000n,
  introductionFee: 10_000n,
  promotionMinServed: 10_000n,
  promotionMinAudits: 20n,
  promotionAuditPassBps: 9_900n,
  promotionMinScore: 80n,
  promotionUptimeBps: 9_500n,
  uptimeWindowDays: 7n,
};

/**
 * The worked example's numbers (SPEC §7): a one-minute period expecting 6 blocks with U_1 = 6 ABC (M = 1 ABC),
 * one-second "days", a 2 KiB block limit, no minimum fee, short dispute and notice windows; promotion after 10
 * served requests and 3 audits (the rates, score and 7-"day" uptime window as in production).
 */
export const demoParams: LedgerParams = {
  ...defaultParams,
  periodMs: 60_000n,
  blocksPerPeriod: 6n,
  fundReleaseFirst: 6n * ABC,
  blockLimitBytes: 2_048n,
  depositManager: 10_000n * ABC,
  dayMs: 1_000n,
  minFee: 0n,
  channelDisputeMs: 5_000n,
  exitNoticeMs: 10_000n,
  promotionMinServed: 10n,
  promotionMinAudits: 3n,
};

/** Checks every range and the cross-field rules; BAD_PARAMS naming the field. Returns the same object. */
export function validateParams(params: LedgerParams, path = 'params'): LedgerParams {
  if (typeof params !== 'object' || params === null) throw new LedgerError('BAD_PARAMS', 'expected a parameter set');
  for (const name of Object.keys(params)) {
    if (!isParamName(name)) throw new LedgerError('BAD_PARAMS', 'unknown parameter', { field: `${path}.${name}` });
  }
  for (const name of PARAM_NAMES) {
    const value: unknown = params[name];
    const [lo, hi] = RANGES[name];
    if (typeof value !== 'bigint') throw new LedgerError('BAD_PARAMS', 'expected a bigint', { field: `${path}.${name}` });
    if (value < lo || value > hi) {
      throw new LedgerError('BAD_PARAMS', `${value} is outside [${lo}, ${hi}]`, { field: `${path}.${name}` });
    }
  }
  if (params.minerParts + params.leaderParts + params.verifierParts === 0n) {
    throw new LedgerError('BAD_PARAMS', 'the reward split has no parts', { field: `${path}.minerParts` });
  }
  return params;
}

/** The schema of a parameter set on the wire (inside the genesis and the state record). */
export const paramsSchema = s.struct(
  Object.fromEntries(PARAM_NAMES.map((name) => [name, s.u64({ max: RANGES[name][1] })])) as Record<
    ParamName,
    ReturnType<typeof s.u64>
  >,
);

/** A copy with one parameter changed, validated. */
export function withParam(params: LedgerParams, name: string, value: bigint): LedgerParams {
  if (!isParamName(name)) throw new LedgerError('BAD_FIELD', `unknown parameter ${JSON.stringify(name)}`, { field: 'body.name' });
  return validateParams({ ...params, [name]: value });
}
