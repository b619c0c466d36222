/**
 * The payee's settling loop (SPEC §6 item 4: "settles it on the ledger periodically or when its unsettled amount
 * passes a threshold"). Each round it asks the ledger view what the channels it holds receipts on have paid this
 * node — recording a payout the book does not know yet (`settled`, idempotent: it takes totals) — then submits a
 * channel-settle for every channel the policy finds due and that has no settlement in flight.
 *
 * Nonces: the payout account's next nonce is the ledger's, plus the settlements submitted since that the ledger has
 * not yet applied. A settlement that does not show up within `inFlightMs` is forgotten (it was dropped or refused),
 * and the next round starts again from the ledger's nonce — a settle of the same receipt that lands twice pays
 * nothing the second time, so a retry costs at most a fee, never money.
 */
import { type AccountKey, bytesEqual, toHex } from '../../crypto/index.ts';
import type { ReceiptBook } from './book.ts';
import type { ChannelView } from './receipt-check.ts';
import type { SettlePolicy } from './settle-policy.ts';

export interface SettlerOptions {
  readonly book: ReceiptBook;
  /** This node's key (the payee on its channels). */
  readonly self: Uint8Array;
  /** The payout account that signs settlements. */
  readonly payout: AccountKey;
  /** The chain's genesis id. */
  readonly chain: Uint8Array;
  readonly channels: ChannelView;
  /** The payout account's next nonce in the ledger's final state. */
  readonly nonce: () => bigint;
  /** Sends a signed transaction to the Manager Ring; resolves once a manager admitted it. */
  readonly submit: (tx: Uint8Array) => Promise<unknown>;
  readonly policy: SettlePolicy;
  readonly fee?: bigint;
  readonly now: () => number;
  /** How long a submitted settlement may take to show on the ledger before it is tried again. */
  readonly inFlightMs?: number;
}

export interface SettleRound {
  readonly submitted: number;
  /** Channels whose ledger payout grew since the book last knew it. */
  readonly recorded: number;
  readonly failed: number;
}

interface InFlight {
  readonly at: number;
  readonly nonce: bigint;
}

export class Settler {
  readonly #o: SettlerOptions;
  readonly #inFlight = new Map<string, InFlight>();
  #submitted = 0;
  #failures = 0;

  constructor(options: SettlerOptions) {
    this.#o = options;
  }

  get stats(): { readonly submitted: number; readonly failures: number; readonly inFlight: number } {
    return { submitted: this.#submitted, failures: this.#failures, inFlight: this.#inFlight.size };
  }

  /** One round: learn payouts, then settle what is due. Never throws for one channel's failure. */
  async round(): Promise<SettleRound> {
    const now = this.#o.now();
    const recorded = this.#learnPayouts();
    const ledgerNonce = this.#o.nonce();
    for (const [key, flight] of this.#inFlight) {
      // Applied (the account's nonce moved past it) or given up on: either way no longer in flight.
      if (flight.nonce < ledgerNonce || now - flight.at > (this.#o.inFlightMs ?? 30_000)) this.#inFlight.delete(key);
    }
    let next = ledgerNonce;
    for (const flight of this.#inFlight.values()) if (flight.nonce >= next) next = flight.nonce + 1n;
    let submitted = 0;
    let failed = 0;
    for (const due of this.#o.book.due(this.#o.policy)) {
      const key = toHex(due.channel);
      if (this.#inFlight.has(key)) continue;
      try {
        const tx = this.#o.book.settleTx(due.channel, {
          chain: this.#o.chain,
          nonce: next,
          payout: this.#o.payout,
          ...(this.#o.fee === undefined ? {} : { fee: this.#o.fee }),
        });
        await this.#o.submit(tx);
        this.#inFlight.set(key, { at: now, nonce: next });
        next += 1n;
        submitted += 1;
      } catch {
        // Refused or unreachable: the next round tries again from the ledger's nonce.
        failed += 1;
        break;
      }
    }
    this.#submitted += submitted;
    this.#failures += failed;
    return { submitted, recorded, failed };
  }

  #learnPayouts(): number {
    let recorded = 0;
    for (const entry of this.#o.book.list()) {
      const channel = this.#o.channels(entry.channel);
      if (channel === undefined) continue;
      const index = channel.payees.findIndex((p) => bytesEqual(p, this.#o.self));
      const paid = index < 0 ? 0n : (channel.paid[index] ?? 0n);
      if (paid > entry.paid && paid <= entry.amount) {
        this.#o.book.settled(entry.channel, paid);
        recorded += 1;
      }
    }
    return recorded;
  }
}
