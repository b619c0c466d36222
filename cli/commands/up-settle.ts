/**
 * `ame up`'s payees settle what they are owed (SPEC §6 item 4): the ring servers their service receipts, the
 * managers their introduction fees. Each book gets a Settler whose settlements its payout account signs. The ring
 * servers share one payout account, so two of its settlers could hand out one nonce twice: a book settles only
 * while no other book of the same account has a settlement in flight (the ledger applied it, or it was given up
 * after 30 s), which keeps the account's nonces in order. Every `everyMs` (default 5 s) each book gets a round.
 */
import type { AccountKey } from '../../node/crypto/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import { type ReceiptBook, type SettlePolicy, Settler } from '../../node/worker/payments/index.ts';

export interface UpPayee {
  readonly book: ReceiptBook;
  /** The payee's node key. */
  readonly self: Uint8Array;
  readonly payout: AccountKey;
}

/** Settle a channel once it owes 0.1 ABC, or a minute after its first unsettled receipt. */
export const UP_SETTLE_POLICY: SettlePolicy = { threshold: 100_000n, maxAgeMs: 60_000, deadlineMarginMs: 120_000 };

export interface UpSettlers {
  readonly settlers: readonly Settler[];
  /** One round for every book now (tests; the timer does the same). */
  round(): Promise<void>;
  stop(): void;
}

export function startUpSettlers(lead: ManagerServer, payees: readonly UpPayee[], everyMs = 5_000, policy = UP_SETTLE_POLICY): UpSettlers {
  const view = () => lead.ledger.finalView();
  const settlers = payees.map(
    (p) =>
      new Settler({
        book: p.book,
        self: p.self,
        payout: p.payout,
        chain: view().chain().chainId,
        channels: (id) => view().channel(id),
        nonce: () => view().account(p.payout.address).nonce,
        submit: async (tx) => lead.submit(tx),
        policy,
        fee: view().params().minFee,
        now: Date.now,
      }),
  );
  let running: Promise<void> | undefined;
  let first = 0;
  const round = async () => {
    // A different book goes first each round, so one busy book does not keep the others of its account waiting.
    first = (first + 1) % Math.max(1, settlers.length);
    for (let k = 0; k < settlers.length; k++) {
      const i = (first + k) % settlers.length;
      const account = payees[i]!.payout.address;
      const busy = settlers.some((other, j) => j !== i && payees[j]!.payout.address === account && other.stats.inFlight > 0);
      if (!busy) await settlers[i]!.round();
    }
  };
  const timer = setInterval(() => {
    running ??= round().finally(() => (running = undefined));
  }, everyMs);
  return {
    settlers,
    round,
    stop: () => clearInterval(timer),
  };
}
