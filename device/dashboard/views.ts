/**
 * The JSON the dashboard API answers with (docs/device.md "Dashboard"). Ledger integers are decimal strings
 * (micro-units pass 2^53); every amount also carries the text the console shows (formatAmount), so the page
 * prints what the API says and never does money arithmetic in floating point.
 */
import { toHex } from '../../node/crypto/index.ts';
import { formatAmount, type Amount } from '../../node/wire/index.ts';
import type { AgentStatus } from '../agent-status.ts';
import { describeState } from '../state-machine.ts';
import type { HistorySample } from './history.ts';
import { decimal, type Criterion, type LedgerFigures, type NextRelease, type Penalty, type TrancheFigures } from './ledger-figures.ts';

export interface AmountJson {
  readonly unit: 'ABC' | 'ABIT';
  readonly micro: string;
  readonly text: string;
}

export interface StatusJson {
  readonly state: string;
  /** The state with its reasons, as the console says it. */
  readonly stateText: string;
  readonly reasons: readonly string[];
  readonly peerId: string | null;
  readonly role: string;
  readonly registered: boolean;
  readonly promoted: boolean;
  readonly connectedPeers: number;
  readonly payout: { readonly address: string; readonly source: 'wallet' | 'config' } | null;
  readonly wallet: { readonly address: string; readonly scheme: string; readonly encrypted: boolean; readonly created: string } | null;
  readonly balance: AmountJson | null;
  readonly earnings: {
    readonly servedRequests: number;
    readonly receiptsHeld: number;
    readonly unsettled: AmountJson;
    readonly settled: AmountJson;
  } | null;
  readonly health: {
    readonly healthy: boolean;
    readonly problems: readonly string[];
    readonly uncleanStop: boolean;
    readonly integrity: string;
  };
  readonly config: AgentStatus['config'];
}

export interface NextReleaseJson {
  readonly at: string;
  readonly amount: AmountJson;
}

export interface TrancheJson {
  readonly start: string;
  readonly total: AmountJson;
  readonly released: AmountJson;
  readonly unreleased: AmountJson;
  readonly dailyPart: AmountJson;
  readonly daysReleased: string;
  readonly days: string;
  readonly next: NextReleaseJson | null;
}

export type LedgerJson =
  | { readonly available: false; readonly reason: string }
  | {
      readonly available: true;
      readonly height: string;
      /** Block time (ms) the figures are computed at. */
      readonly time: string;
      readonly dayMs: string;
      readonly node: {
        readonly key: string;
        readonly role: string;
        readonly status: string;
        readonly unity: string;
        readonly since: string;
        readonly deposit: AmountJson;
      } | null;
      readonly account: { readonly address: string; readonly bad: boolean } | null;
      readonly vesting: {
        readonly balance: AmountJson;
        readonly spendable: AmountJson;
        readonly released: AmountJson;
        readonly unreleased: AmountJson;
        readonly periodIncome: AmountJson;
        readonly frozenAtClose: AmountJson;
        readonly next: NextReleaseJson | null;
        readonly tranches: readonly TrancheJson[];
      } | null;
      readonly promotion: {
        readonly eligible: boolean;
        readonly shortfall: { readonly field: string; readonly message: string } | null;
        readonly criteria: readonly Criterion[];
      } | null;
      readonly reputation: {
        readonly millionths: string;
        readonly text: string;
        readonly uptimeSeen: string;
        readonly uptimeExpected: string;
      } | null;
      readonly penalties: readonly Penalty[];
    };

export interface HistoryPointJson {
  /** Wall-clock ms. */
  readonly time: number;
  readonly served: number;
  readonly settled: AmountJson;
  readonly balance: AmountJson | null;
}

export interface HistoryJson {
  readonly everyMs: number;
  readonly capacity: number;
  readonly samples: readonly HistoryPointJson[];
}

export function amountJson(micro: bigint, unit: 'ABC' | 'ABIT' = 'ABC'): AmountJson {
  return { unit, micro: micro.toString(), text: formatAmount(micro, unit) };
}

const fromAmount = (amount: Amount): AmountJson => amountJson(amount.micro, amount.unit);

export function statusJson(s: AgentStatus): StatusJson {
  const r = s.runtime;
  const state = s.state;
  return {
    state: state.name,
    stateText: describeState(state),
    reasons: state.name === 'degraded' ? state.reasons : state.name === 'error' ? [state.reason] : [],
    peerId: s.peerId,
    role: r?.role ?? 'none',
    registered: r?.registered ?? false,
    promoted: r?.promoted ?? false,
    connectedPeers: r?.connectedPeers ?? 0,
    payout: s.payout === null ? null : { address: s.payout.address, source: s.payout.source },
    wallet: s.wallet === null ? null : { address: s.wallet.address, scheme: s.wallet.scheme, encrypted: s.wallet.encrypted, created: s.wallet.created },
    balance: r?.balance ? fromAmount(r.balance) : null,
    earnings:
      r === null
        ? null
        : {
            servedRequests: r.earnings.servedRequests,
            receiptsHeld: r.earnings.receiptsHeld,
            unsettled: fromAmount(r.earnings.unsettled),
            settled: fromAmount(r.earnings.settled),
          },
    health: { healthy: s.healthy, problems: r?.problems ?? [], uncleanStop: s.uncleanStop, integrity: s.integrity },
    config: s.config,
  };
}

const nextJson = (next: NextRelease | null): NextReleaseJson | null => (next === null ? null : { at: next.at.toString(), amount: amountJson(next.amount) });

function trancheJson(t: TrancheFigures): TrancheJson {
  return {
    start: t.start.toString(),
    total: amountJson(t.total),
    released: amountJson(t.released),
    unreleased: amountJson(t.unreleased),
    dailyPart: amountJson(t.dailyPart),
    daysReleased: t.daysReleased.toString(),
    days: t.days.toString(),
    next: nextJson(t.next),
  };
}

export function ledgerJson(f: LedgerFigures): LedgerJson {
  const { node, account, vesting, promotion, reputation } = f;
  return {
    available: true,
    height: f.height.toString(),
    time: f.time.toString(),
    dayMs: f.params.dayMs.toString(),
    node:
      node === undefined
        ? null
        : { key: toHex(node.key), role: node.role, status: node.status, unity: node.unity, since: node.rep.since.toString(), deposit: amountJson(node.deposit) },
    account: account === undefined ? null : { address: account.address, bad: account.bad },
    vesting:
      vesting === null
        ? null
        : {
            balance: amountJson(vesting.balance),
            spendable: amountJson(vesting.spendable),
            released: amountJson(vesting.released),
            unreleased: amountJson(vesting.unreleased),
            periodIncome: amountJson(vesting.periodIncome),
            frozenAtClose: amountJson(vesting.frozenAtClose),
            next: nextJson(vesting.next),
            tranches: vesting.tranches.map(trancheJson),
          },
    promotion:
      promotion === null
        ? null
        : { eligible: promotion.eligible, shortfall: promotion.shortfall, criteria: promotion.criteria },
    reputation:
      reputation === null
        ? null
        : {
            millionths: reputation.millionths.toString(),
            text: decimal(reputation.millionths, 1_000_000n),
            uptimeSeen: reputation.uptimeSeen.toString(),
            uptimeExpected: reputation.uptimeExpected.toString(),
          },
    penalties: f.penalties,
  };
}

export function historyJson(samples: readonly HistorySample[], everyMs: number, capacity: number): HistoryJson {
  return {
    everyMs,
    capacity,
    samples: samples.map((s) => ({
      time: s.time,
      served: s.served,
      settled: amountJson(s.settled),
      balance: s.balance === null ? null : amountJson(s.balance),
    })),
  };
}
