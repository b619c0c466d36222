/**
 * Reputation and promotion (SPEC §6 items 5–7) as pure functions of a node's record (records.ts `rep`).
 *
 * Reputation in (0, 1], held in millionths (1,000,000 = 1):
 *
 *   0.4 × audit pass rate + 0.3 × uptime + 0.2 × mean client score / 100 + 0.1 × min(1, age / 30 days)
 *
 * computed as one exact fraction and rounded down once (⌊10^6 × value⌋), then floored at 10,000 (0.01). Rounding
 * the sum once rather than each term keeps it exact to the millionth and monotonic in every input. A term with no
 * evidence (no audits, no expected heartbeats in the window, no scored channel) counts 0: a new node earns its
 * reputation rather than starting trusted. A bad record gives 0.01 whatever the counters say.
 */
import { toHex } from '../crypto/index.ts';
import type { LedgerParams } from './params.ts';
import type { NodeRecord, Reputation, UptimeDay } from './records.ts';
import type { StateView } from './state.ts';

/** 1 in millionths. */
export const REPUTATION_SCALE = 1_000_000n;
/** 0.01: the floor, and the reputation of a node with a bad record. */
export const REPUTATION_FLOOR = 10_000n;
/** The age at which the age term is full (SPEC: min(1, age in days / 30)). */
export const REPUTATION_AGE_DAYS = 30n;

export interface ReputationInputs {
  readonly auditsPassed: bigint;
  readonly auditsFailed: bigint;
  /** Heartbeat intervals seen and expected over the uptime window. */
  readonly uptimeSeen: bigint;
  readonly uptimeExpected: bigint;
  /** Σ of the latest score (0–100) per channel, and the number of channels with a score. */
  readonly scoreSum: bigint;
  readonly scoreCount: bigint;
  /** Block time since registration, and the length of a day (params.dayMs), in ms. */
  readonly ageMs: bigint;
  readonly dayMs: bigint;
  readonly bad: boolean;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Reputation in millionths, in [REPUTATION_FLOOR, REPUTATION_SCALE]. */
export function reputation(x: ReputationInputs): bigint {
  if (x.bad) return REPUTATION_FLOOR;
  // Clamps make the function total over any inputs (the ledger's own counters never need them).
  const seen = min(max(x.uptimeSeen, 0n), max(x.uptimeExpected, 0n));
  const scores = min(max(x.scoreSum, 0n), 100n * max(x.scoreCount, 0n));
  const day = max(x.dayMs, 1n);
  const age = min(max(x.ageMs, 0n), REPUTATION_AGE_DAYS * day);
  // weight/10 × n/d for each term, as [numerator, denominator]; d = 0 means no evidence.
  const terms: readonly (readonly [bigint, bigint])[] = [
    [4n * max(x.auditsPassed, 0n), 10n * (max(x.auditsPassed, 0n) + max(x.auditsFailed, 0n))],
    [3n * seen, 10n * max(x.uptimeExpected, 0n)],
    [2n * scores, 10n * 100n * max(x.scoreCount, 0n)],
    [age, 10n * REPUTATION_AGE_DAYS * day],
  ];
  let num = 0n;
  let den = 1n;
  for (const [n, d] of terms) {
    if (d === 0n) continue;
    num = num * d + n * den;
    den *= d;
  }
  return max((REPUTATION_SCALE * num) / den, REPUTATION_FLOOR);
}

/** The day of block time `time` (days are params.dayMs long, counted from time 0). */
export function dayOf(params: LedgerParams, time: bigint): bigint {
  return time / params.dayMs;
}

/** Whether bucket day `day` lies in the window ending on the day of `time`: today − window < day ≤ today. */
function inWindow(params: LedgerParams, time: bigint, day: bigint): boolean {
  const today = dayOf(params, time);
  return day <= today && day > today - params.uptimeWindowDays;
}

/** Heartbeat intervals seen / expected over the uptime window ending at `time`. */
export function uptimeIn(rep: Reputation, params: LedgerParams, time: bigint): { seen: bigint; expected: bigint } {
  let seen = 0n;
  let expected = 0n;
  for (const b of rep.uptime) {
    if (!inWindow(params, time, b.day)) continue;
    seen += b.seen;
    expected += b.expected;
  }
  return { seen, expected };
}

/**
 * The uptime buckets after a report at `time`: days outside the window dropped, `seen` / `expected` added to
 * today's bucket (oldest first, so at most uptimeWindowDays buckets remain).
 */
export function addUptime(
  buckets: readonly UptimeDay[],
  params: LedgerParams,
  time: bigint,
  seen: bigint,
  expected: bigint,
): UptimeDay[] {
  const today = dayOf(params, time);
  const kept = buckets.filter((b) => inWindow(params, time, b.day));
  const last = kept.at(-1);
  if (last !== undefined && last.day === today) {
    kept[kept.length - 1] = { day: today, seen: last.seen + seen, expected: last.expected + expected };
  } else if (expected > 0n) {
    kept.push({ day: today, seen, expected });
  }
  return kept;
}

/** A node's reputation at block time `time`; `accountBad` is its payout account's bad record. */
export function nodeReputation(node: NodeRecord, accountBad: boolean, params: LedgerParams, time: bigint): bigint {
  const { rep } = node;
  const uptime = uptimeIn(rep, params, time);
  return reputation({
    auditsPassed: rep.auditsPassed,
    auditsFailed: rep.auditsFailed,
    uptimeSeen: uptime.seen,
    uptimeExpected: uptime.expected,
    scoreSum: rep.scoreSum,
    scoreCount: rep.scoreCount,
    ageMs: time - rep.since,
    dayMs: params.dayMs,
    bad: rep.bad || accountBad,
  });
}

export interface Shortfall {
  /** The parameter of the unmet criterion, as a field path: 'params.promotionMinServed', … */
  readonly field: string;
  readonly message: string;
}

/**
 * The first promotion criterion of SPEC §6 item 6 that a record does not meet at `time`, or undefined. The bad
 * record and the deposit are the caller's (they are about the account, not the counters). Order: served
 * requests, audit count, audit pass rate, mean client score, uptime window length, uptime. With no scored
 * channel the mean is undefined and fails unless promotionMinScore is 0; with no heartbeats expected in the
 * window the uptime fails unless promotionUptimeBps is 0.
 */
export function promotionShortfall(rep: Reputation, params: LedgerParams, time: bigint): Shortfall | undefined {
  const short = (name: keyof LedgerParams, message: string): Shortfall => ({ field: `params.${name}`, message });
  if (rep.served < params.promotionMinServed) {
    return short('promotionMinServed', `served ${rep.served} requests, ${params.promotionMinServed} needed`);
  }
  const audits = rep.auditsPassed + rep.auditsFailed;
  if (audits < params.promotionMinAudits) {
    return short('promotionMinAudits', `${audits} audits, ${params.promotionMinAudits} needed`);
  }
  if (rep.auditsPassed * 10_000n < params.promotionAuditPassBps * audits) {
    return short('promotionAuditPassBps', `${rep.auditsPassed} of ${audits} audits passed, ${params.promotionAuditPassBps} bps needed`);
  }
  if (params.promotionMinScore > 0n && (rep.scoreCount === 0n || rep.scoreSum < params.promotionMinScore * rep.scoreCount)) {
    const mean = rep.scoreCount === 0n ? 'no client score' : `mean client score ${rep.scoreSum}/${rep.scoreCount}`;
    return short('promotionMinScore', `${mean}, ${params.promotionMinScore} needed`);
  }
  if (params.promotionUptimeBps === 0n) return undefined;
  const window = params.uptimeWindowDays * params.dayMs;
  if (time - rep.since < window) {
    return short('uptimeWindowDays', `registered ${time - rep.since} ms ago, uptime is judged over ${window} ms`);
  }
  const { seen, expected } = uptimeIn(rep, params, time);
  if (expected === 0n || seen * 10_000n < params.promotionUptimeBps * expected) {
    return short('promotionUptimeBps', `${seen} of ${expected} heartbeats seen, ${params.promotionUptimeBps} bps needed`);
  }
  return undefined;
}

export interface Candidate {
  readonly node: NodeRecord;
  readonly reputation: bigint;
  /** Why `promote` would refuse it now (undefined: it meets every criterion but the deposit). */
  readonly shortfall: Shortfall | undefined;
}

/**
 * SPEC §6 item 7: the active temporary workers attached to `unity`, best first — those `promote` would accept
 * (deposit aside) before the others, then by reputation, then by node key — for the managers replacing a server
 * of that Unity. Nodes with a bad record (own or payout account) are left out. Scans the state: a query, not
 * for execution.
 */
export function replacementCandidates(state: StateView, params: LedgerParams, time: bigint, unity: string): Candidate[] {
  const out: { candidate: Candidate; hex: string }[] = [];
  for (const record of state.records()) {
    if (record.t !== 'node' || record.role !== 'temporary' || record.status !== 'active' || record.unity !== unity) continue;
    const { t: _t, ...node } = record;
    const accountBad = state.account(node.account).bad;
    if (node.rep.bad || accountBad) continue;
    const candidate = {
      node,
      reputation: nodeReputation(node, false, params, time),
      shortfall: promotionShortfall(node.rep, params, time),
    };
    out.push({ candidate, hex: toHex(node.key) });
  }
  out.sort((a, b) => {
    const ea = a.candidate.shortfall === undefined ? 0 : 1;
    const eb = b.candidate.shortfall === undefined ? 0 : 1;
    if (ea !== eb) return ea - eb;
    if (a.candidate.reputation !== b.candidate.reputation) return a.candidate.reputation > b.candidate.reputation ? -1 : 1;
    return a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0;
  });
  return out.map((x) => x.candidate);
}
