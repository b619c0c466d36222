/**
 * What the ledger decides about this node, from its records at the verified head (runtime.ts LedgerSnapshot):
 * option vesting, each promotion criterion, reputation and penalties. Every figure comes from the ledger's own
 * functions (economics.vested, spendable, promotionShortfall, uptimeIn, nodeReputation), never a re-derivation,
 * so a rule changed in node/ledger changes the page with it.
 */
import {
  economics,
  nodeReputation,
  promotionShortfall,
  spendable,
  uptimeIn,
  type AccountRecord,
  type LedgerParams,
  type NodeRecord,
  type ParamName,
  type Shortfall,
} from '../../node/ledger/index.ts';
import { formatAmount } from '../../node/wire/index.ts';
import type { LedgerSnapshot } from '../runtime.ts';

export interface NextRelease {
  /** Block time (ms) of the next daily part. */
  readonly at: bigint;
  readonly amount: bigint;
}

export interface TrancheFigures {
  readonly start: bigint;
  readonly total: bigint;
  /** Released by the snapshot's time (moved to the balance by the next transaction that touches the account). */
  readonly released: bigint;
  readonly unreleased: bigint;
  readonly daysReleased: bigint;
  readonly days: bigint;
  /** One daily part; the last day also takes the remainder of the division. */
  readonly dailyPart: bigint;
  readonly next: NextRelease | null;
}

export interface VestingFigures {
  readonly tranches: readonly TrancheFigures[];
  readonly released: bigint;
  readonly unreleased: bigint;
  /** The soonest daily release over all tranches (the parts of every tranche due at that moment). */
  readonly next: NextRelease | null;
  /** The account's balance with the released parts counted. */
  readonly balance: bigint;
  /** What the account may spend now: the balance less the part of this period's income the close will freeze. */
  readonly spendable: bigint;
  /** Node income so far in the open period (settled receipts, rewards, pool shares). */
  readonly periodIncome: bigint;
  /** The part of it the next period close freezes as a new tranche. */
  readonly frozenAtClose: bigint;
}

export type CriterionName = 'served' | 'audits' | 'auditPassRate' | 'clientScore' | 'uptimeWindow' | 'uptime' | 'noBadRecord' | 'deposit';

export interface Criterion {
  readonly name: CriterionName;
  /** The ledger parameter behind the threshold ('params.promotionMinServed', …). */
  readonly field: string;
  readonly label: string;
  /** Decimal text in `unit` (null: no evidence yet, e.g. no scored channel). */
  readonly value: string | null;
  readonly threshold: string;
  readonly unit: string;
  /** 0..1, for a progress bar. */
  readonly progress: number;
  readonly met: boolean;
}

export interface PromotionFigures {
  /** Whether `promote` would accept the node now (a temporary worker, active, every criterion met). */
  readonly eligible: boolean;
  /** The ledger's first unmet counter rule, as `promote` would name it. */
  readonly shortfall: Shortfall | null;
  readonly criteria: readonly Criterion[];
}

export type PenaltyKind = 'removed' | 'bad-record' | 'account-bad-record' | 'failed-audits';

export interface Penalty {
  readonly kind: PenaltyKind;
  readonly reason: string;
}

export interface ReputationFigures {
  /** Millionths, in [0.01, 1]. */
  readonly millionths: bigint;
  readonly uptimeSeen: bigint;
  readonly uptimeExpected: bigint;
}

export interface LedgerFigures {
  readonly height: bigint;
  readonly time: bigint;
  readonly params: LedgerParams;
  readonly node: NodeRecord | undefined;
  readonly account: AccountRecord | undefined;
  readonly vesting: VestingFigures | null;
  /** Null when the node is not registered (nothing to promote or to judge). */
  readonly promotion: PromotionFigures | null;
  readonly reputation: ReputationFigures | null;
  readonly penalties: readonly Penalty[];
}

export function ledgerFigures(snapshot: LedgerSnapshot): LedgerFigures {
  const { node, account, params, time } = snapshot;
  const vesting = account === undefined ? null : vestingFigures(account, params, time);
  const accountBad = account?.bad ?? false;
  return {
    height: snapshot.height,
    time,
    params,
    node,
    account,
    vesting,
    promotion: node === undefined ? null : promotionFigures(node, accountBad, vesting, params, time),
    reputation: node === undefined ? null : reputationFigures(node, accountBad, params, time),
    penalties: penaltiesOf(node, accountBad),
  };
}

function trancheFigures(tranche: AccountRecord['options'][number], params: LedgerParams, time: bigint): TrancheFigures {
  // A clock behind the last block's time must not show less than the ledger already moved.
  const released = max(economics.vested(params, tranche, time), tranche.released);
  const daysReleased = time <= tranche.start ? 0n : min((time - tranche.start) / params.dayMs, params.optionDays);
  let next: NextRelease | null = null;
  if (released < tranche.total) {
    const at = tranche.start + (daysReleased + 1n) * params.dayMs;
    next = { at, amount: economics.vested(params, tranche, at) - released };
  }
  return {
    start: tranche.start,
    total: tranche.total,
    released,
    unreleased: tranche.total - released,
    daysReleased,
    days: params.optionDays,
    dailyPart: tranche.total / params.optionDays,
    next,
  };
}

export function vestingFigures(account: AccountRecord, params: LedgerParams, time: bigint): VestingFigures {
  const tranches = account.options.map((t) => trancheFigures(t, params, time));
  let released = 0n;
  let unreleased = 0n;
  // Released parts not yet moved by a transaction (the ledger moves them lazily, exec-context.ts touch()).
  let due = 0n;
  for (const [i, t] of tranches.entries()) {
    released += t.released;
    unreleased += t.unreleased;
    due += t.released - account.options[i]!.released;
  }
  let next: NextRelease | null = null;
  for (const t of tranches) {
    if (t.next === null) continue;
    if (next === null || t.next.at < next.at) next = t.next;
    else if (t.next.at === next.at) next = { at: next.at, amount: next.amount + t.next.amount };
  }
  const balance = account.abc + due;
  return {
    tranches,
    released,
    unreleased,
    next,
    balance,
    spendable: spendable(params, { ...account, abc: balance }),
    periodIncome: account.periodIncome,
    frozenAtClose: economics.frozenPart(params, account.periodIncome),
  };
}

/** The counter rules of SPEC §6 item 6, each judged alone by promotionShortfall with the others switched off. */
const COUNTER_RULES = ['promotionMinServed', 'promotionMinAudits', 'promotionAuditPassBps', 'promotionMinScore', 'promotionUptimeBps'] as const;

function shortfallAlone(rep: NodeRecord['rep'], params: LedgerParams, time: bigint, rule: (typeof COUNTER_RULES)[number]): Shortfall | undefined {
  const only: Record<ParamName, bigint> = { ...params };
  for (const other of COUNTER_RULES) if (other !== rule) only[other] = 0n;
  return promotionShortfall(rep, only, time);
}

function promotionFigures(
  node: NodeRecord,
  accountBad: boolean,
  vesting: VestingFigures | null,
  params: LedgerParams,
  time: bigint,
): PromotionFigures {
  const { rep } = node;
  const audits = rep.auditsPassed + rep.auditsFailed;
  const { seen, expected } = uptimeIn(rep, params, time);
  const age = time > rep.since ? time - rep.since : 0n;
  const alone = (rule: (typeof COUNTER_RULES)[number]) => shortfallAlone(rep, params, time, rule);
  const uptimeAlone = alone('promotionUptimeBps');
  // The worker deposit comes from the spendable balance and then from unreleased options (exec-nodes.ts promote).
  const need = params.depositWorker > node.deposit ? params.depositWorker - node.deposit : 0n;
  const cover = vesting === null ? 0n : vesting.spendable + vesting.unreleased;
  const bad = rep.bad || accountBad;

  const criteria: Criterion[] = [
    count('served', 'params.promotionMinServed', 'requests served', rep.served, params.promotionMinServed, 'requests', alone('promotionMinServed') === undefined),
    count('audits', 'params.promotionMinAudits', 'audits', audits, params.promotionMinAudits, 'audits', alone('promotionMinAudits') === undefined),
    {
      ...fraction(audits === 0n ? null : (rep.auditsPassed * 10_000n) / audits, params.promotionAuditPassBps, 100n),
      name: 'auditPassRate',
      field: 'params.promotionAuditPassBps',
      label: 'audits passed',
      unit: '%',
      met: alone('promotionAuditPassBps') === undefined,
    },
    {
      ...fraction(rep.scoreCount === 0n ? null : (rep.scoreSum * 100n) / rep.scoreCount, params.promotionMinScore * 100n, 100n),
      name: 'clientScore',
      field: 'params.promotionMinScore',
      label: 'mean client score',
      unit: '/ 100',
      met: alone('promotionMinScore') === undefined,
    },
    {
      ...fraction((age * 100n) / params.dayMs, params.uptimeWindowDays * 100n, 100n),
      name: 'uptimeWindow',
      field: 'params.uptimeWindowDays',
      label: 'days registered (uptime window)',
      unit: 'days',
      met: uptimeAlone?.field !== 'params.uptimeWindowDays',
    },
    {
      ...fraction(expected === 0n ? null : (seen * 10_000n) / expected, params.promotionUptimeBps, 100n),
      name: 'uptime',
      field: 'params.promotionUptimeBps',
      label: `uptime over ${params.uptimeWindowDays} days`,
      unit: '%',
      met: uptimeAlone === undefined,
    },
    {
      name: 'noBadRecord',
      field: 'rep.bad',
      label: 'bad record',
      value: rep.bad ? 'node' : accountBad ? 'payout account' : 'none',
      threshold: 'none',
      unit: '',
      progress: bad ? 0 : 1,
      met: !bad,
    },
    {
      name: 'deposit',
      field: 'params.depositWorker',
      label: 'worker deposit (balance + unreleased options)',
      value: formatAmount(cover, 'ABC'),
      threshold: formatAmount(need, 'ABC'),
      unit: '',
      progress: ratio(cover, need),
      met: cover >= need,
    },
  ];
  const shortfall = promotionShortfall(rep, params, time) ?? null;
  const eligible = node.role === 'temporary' && node.status === 'active' && criteria.every((c) => c.met);
  return { eligible, shortfall, criteria };
}

function reputationFigures(node: NodeRecord, accountBad: boolean, params: LedgerParams, time: bigint): ReputationFigures {
  const { seen, expected } = uptimeIn(node.rep, params, time);
  return { millionths: nodeReputation(node, accountBad, params, time), uptimeSeen: seen, uptimeExpected: expected };
}

function penaltiesOf(node: NodeRecord | undefined, accountBad: boolean): Penalty[] {
  const out: Penalty[] = [];
  if (node?.status === 'removed') {
    out.push({
      kind: 'removed',
      reason: node.rep.bad
        ? 'removed by the managers for cheating: deposit and unreleased options forfeited to the reward pool'
        : 'removed by the managers (failing or gone without exit): deposit forfeited, earnings kept',
    });
  }
  if (node?.rep.bad) out.push({ kind: 'bad-record', reason: 'bad record on the node (a failed audit proven as cheating): reputation 0.01 and no promotion, for ever' });
  if (accountBad) out.push({ kind: 'account-bad-record', reason: 'bad record on the payout account (forged, replayed or over-escrow receipts): no promotion, for ever' });
  if (node !== undefined && node.rep.auditsFailed > 0n) {
    const audits = node.rep.auditsPassed + node.rep.auditsFailed;
    out.push({ kind: 'failed-audits', reason: `${node.rep.auditsFailed} of ${audits} audits failed: lowers reputation and the audit pass rate` });
  }
  return out;
}

function count(name: CriterionName, field: string, label: string, value: bigint, threshold: bigint, unit: string, met: boolean): Criterion {
  return { name, field, label, value: value.toString(), threshold: threshold.toString(), unit, progress: ratio(value, threshold), met };
}

/** A value and threshold held in 1/scale units (basis points as percent: scale 100), as decimal text. */
function fraction(value: bigint | null, threshold: bigint, scale: bigint): Pick<Criterion, 'value' | 'threshold' | 'progress'> {
  return { value: value === null ? null : decimal(value, scale), threshold: decimal(threshold, scale), progress: value === null ? 0 : ratio(value, threshold) };
}

/** `n / scale` with as many decimals as scale has zeros (scale a power of ten). */
export function decimal(n: bigint, scale: bigint): string {
  const digits = scale.toString().length - 1;
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  if (digits === 0) return `${sign}${abs}`;
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, '0')}`;
}

/** value / threshold clamped to [0, 1], to four decimals (a threshold of 0 is met by anything). */
function ratio(value: bigint, threshold: bigint): number {
  if (threshold <= 0n || value >= threshold) return 1;
  if (value <= 0n) return 0;
  return Number((value * 10_000n) / threshold) / 10_000;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
