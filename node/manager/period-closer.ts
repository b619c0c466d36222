/**
 * The period-close duty (SPEC §7: managers "close periods with pool payouts and work rewards"): once the final
 * state's time passes the end of the open period, the period's duty manager — index period mod the manager count,
 * in the ledger's order — submits the `period-close`; when it has not landed `graceMs` after the end, every manager
 * does (the ledger takes one close per period: the rest fail as BAD_FIELD, a wasted transaction, not a wrong one).
 * The close itself (work rewards, the fee pool by workload, option tranches, the allowance, the fund release) runs
 * in the ledger (node/ledger/period.ts).
 *
 * The workload it lists is empty: the workload units reach the nodes' records through the managers' node-reports
 * (the units each node's heartbeats counted, audited by sampling its log), and the close pays the worker fee pool
 * in proportion to what the records hold.
 */
import type { Clock } from '../net/index.ts';
import { DutyTimer } from './duty-timer.ts';
import type { DutyTxs } from './duty-txs.ts';

export interface PeriodCloserOptions {
  readonly duty: DutyTxs;
  readonly clock: Clock;
  readonly intervalMs?: number;
  /** How long past a period's end before every manager closes it (default 10 s of ledger time). */
  readonly graceMs?: bigint;
}

export class PeriodCloser {
  readonly #o: PeriodCloserOptions;
  readonly #timer: DutyTimer;
  /** The period this manager last submitted a close for, and when (its clock). */
  #submitted: { period: bigint; at: number } | undefined;

  constructor(options: PeriodCloserOptions) {
    this.#o = options;
    this.#timer = new DutyTimer(options.clock, options.intervalMs ?? 1_000, () => this.round());
  }

  start(): void {
    this.#timer.start();
  }

  stop(): void {
    this.#timer.stop();
  }

  /** Submits the close of the open period when it is due and this manager's to make; the period closed, if any. */
  round(): bigint | undefined {
    const view = this.#o.duty.active();
    if (view === undefined) return undefined;
    const chain = view.chain();
    const end = chain.periodStart + view.params().periodMs;
    if (chain.lastTime < end) return undefined;
    const managers = view.managers().keys;
    const mine = managers.findIndex((k) => Buffer.from(k).equals(Buffer.from(this.#o.duty.key)));
    const duty = Number(chain.period % BigInt(Math.max(1, managers.length)));
    if (mine !== duty && chain.lastTime < end + (this.#o.graceMs ?? 10_000n)) return undefined;
    const now = this.#o.clock.now();
    // One submission per period while it may still land (a block or two); then try again.
    if (this.#submitted?.period === chain.period && now - this.#submitted.at < 5 * (this.#o.intervalMs ?? 1_000)) return undefined;
    try {
      if (this.#o.duty.submit('period-close', { period: chain.period, workload: [] }) === undefined) return undefined;
    } catch {
      return undefined; // the pool refused (a close already pooled by this manager, a full pool): next round
    }
    this.#submitted = { period: chain.period, at: now };
    return chain.period;
  }
}
