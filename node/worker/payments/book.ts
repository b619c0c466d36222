/**
 * The payee's side of payment channels (SPEC §6 item 4): it checks each receipt a client sends with a request,
 * keeps only the latest per channel, acknowledges it once it is durable, and tells the node what to settle.
 *
 * Accepts update the in-memory book at once, so the next receipt on the same channel is checked against them,
 * and are written by group commit; a failed write rolls the book back to what is on disk and refuses every
 * accept of that group. Nothing that was acknowledged can be lost, and a refused receipt changes nothing.
 */
import type { AccountKey, VerifySig } from '../../crypto/index.ts';
import { decodeAuthorization, decodeReceipt, type TxFields } from '../../ledger/index.ts';
import { WorkerError } from '../errors.ts';
import { checkU64, keyOf, maxBig, receiptHash } from './amounts.ts';
import type { BookRow, BookStore } from './book-store.ts';
import { GroupCommit, nextTurn, type Scheduler } from './group-commit.ts';
import { type ChannelView, checkReceipt } from './receipt-check.ts';
import { type DueChannel, dueChannels, type SettlePolicy, type UnsettledReceipt } from './settle-policy.ts';
import { settleFields, type SettleTxOptions, signSettleTx } from './settle-tx.ts';

export interface ReceiptBookOptions {
  /** This node's key, the payee its receipts name. */
  readonly self: Uint8Array;
  readonly store: BookStore;
  readonly channels: ChannelView;
  /** Unix ms: authorisation expiry, settlement age. */
  readonly now: () => number;
  /** When a group of accepts is written; default the next event-loop turn. */
  readonly schedule?: Scheduler;
  /** A group this large is written at once; default 256. */
  readonly maxGroup?: number;
  /** Signature check; a SignatureCache's verify spares re-checking one authorisation per request. */
  readonly verify?: VerifySig;
}

/** What an acknowledged receipt brought. */
export interface Accepted {
  /** SHA-256 of the receipt bytes, for the service-log entry of the request it paid (SPEC §6 item 3). */
  readonly hash: Uint8Array;
  readonly channel: Uint8Array;
  readonly amount: bigint;
  readonly nonce: bigint;
  /** How much more this receipt owes than the one before it (at least the price). */
  readonly earned: bigint;
  readonly unsettled: bigint;
}

export interface LatestReceipt extends UnsettledReceipt {
  readonly receipt: Uint8Array;
  readonly authorization: Uint8Array;
  readonly nonce: bigint;
}

function entryOf(row: BookRow): LatestReceipt {
  try {
    const receipt = decodeReceipt(row.receipt);
    const auth = decodeAuthorization(row.authorization);
    return { ...row, amount: receipt.fields.amount, nonce: receipt.fields.nonce, expiresAt: auth.expiresAt };
  } catch (error) {
    throw new WorkerError('BAD_STORE', `stored receipt does not decode: ${(error as Error).message}`, { cause: error });
  }
}

// Callers get copies: the book's bytes are what it settles, and must not change under it.
const copyEntry = (e: LatestReceipt): LatestReceipt => ({
  ...e,
  channel: Uint8Array.from(e.channel),
  receipt: Uint8Array.from(e.receipt),
  authorization: Uint8Array.from(e.authorization),
});

const rowOf = (e: LatestReceipt): BookRow => ({
  channel: e.channel,
  receipt: e.receipt,
  authorization: e.authorization,
  nonce: e.nonce,
  paid: e.paid,
  since: e.since,
});

export class ReceiptBook {
  readonly #options: ReceiptBookOptions;
  readonly #store: BookStore;
  readonly #group: GroupCommit;
  /** What is on disk. */
  readonly #durable = new Map<string, LatestReceipt>();
  /** What is on disk plus what waits for the next group commit. */
  readonly #latest = new Map<string, LatestReceipt>();
  readonly #dirty = new Set<string>();
  #closed = false;

  constructor(options: ReceiptBookOptions) {
    this.#options = { ...options, self: Uint8Array.from(options.self) };
    this.#store = options.store;
    this.#group = new GroupCommit(() => this.#write(), options.schedule ?? nextTurn, options.maxGroup ?? 256);
    for (const row of this.#store.load()) {
      const entry = entryOf(row);
      this.#durable.set(keyOf(entry.channel), entry);
      this.#latest.set(keyOf(entry.channel), entry);
    }
  }

  /** Accepts waiting for the next group commit. */
  get pending(): number {
    return this.#group.pending;
  }

  /**
   * Checks a receipt for a request costing `price` and keeps it as the channel's latest; resolves once that is
   * durable. Rejects with WorkerError naming the field, and then nothing is kept.
   */
  accept(receipt: Uint8Array, authorization: Uint8Array, price: bigint): Promise<Accepted> {
    let accepted: Accepted;
    try {
      this.#assertOpen();
      const now = this.#options.now();
      const checked = checkReceipt({
        receipt,
        authorization,
        price,
        self: this.#options.self,
        now,
        channels: this.#options.channels,
        previous: (id) => this.#latest.get(keyOf(id)),
        ...(this.#options.verify === undefined ? {} : { verify: this.#options.verify }),
      });
      const { channel, amount, nonce } = checked.receipt.fields;
      const key = keyOf(channel);
      const previous = this.#latest.get(key);
      const paid = maxBig(previous?.paid ?? 0n, checked.ledgerPaid);
      const waiting = previous !== undefined && previous.amount > previous.paid ? previous.since : null;
      this.#latest.set(key, {
        channel: Uint8Array.from(channel),
        receipt: Uint8Array.from(receipt),
        authorization: Uint8Array.from(authorization),
        amount,
        nonce,
        paid,
        since: amount > paid ? (waiting ?? now) : null,
        expiresAt: checked.authorization.expiresAt,
      });
      this.#dirty.add(key);
      accepted = {
        hash: receiptHash(receipt),
        channel: Uint8Array.from(channel),
        amount,
        nonce,
        earned: checked.earned,
        unsettled: amount - paid,
      };
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#group.wait().then(() => accepted);
  }

  /** The latest receipt of a channel, acknowledged or waiting. */
  latest(channel: Uint8Array): LatestReceipt | undefined {
    const entry = this.#latest.get(keyOf(channel));
    return entry === undefined ? undefined : copyEntry(entry);
  }

  list(): LatestReceipt[] {
    return [...this.#latest.values()].map(copyEntry);
  }

  due(policy: SettlePolicy): DueChannel[] {
    this.#assertOpen();
    return dueChannels(this.#latest.values(), policy, this.#options.now(), this.#options.channels);
  }

  /** The unsigned channel-settle transaction for the channel's latest receipt. */
  settleFields(channel: Uint8Array, options: SettleTxOptions): TxFields<'channel-settle'> {
    this.#assertOpen();
    const entry = this.#latest.get(keyOf(channel));
    if (entry === undefined) throw new WorkerError('UNKNOWN_CHANNEL', 'no receipt on this channel', { field: 'channel' });
    // Settling a paid receipt again would pay nothing and still cost a fee.
    if (entry.amount <= entry.paid) throw new WorkerError('NOTHING_DUE', `${entry.amount} already paid`, { field: 'channel' });
    return settleFields(entry.receipt, entry.authorization, options);
  }

  /** The channel-settle transaction signed by the payout account, encoded. */
  settleTx(channel: Uint8Array, options: SettleTxOptions & { readonly payout: AccountKey }): Uint8Array {
    return signSettleTx(this.settleFields(channel, options), options.payout);
  }

  /**
   * Records that the ledger has paid `paidTotal` in all on the channel (its record's `paid` for this payee).
   * A total, not a delta, so hearing of the same block twice changes nothing. Durable when it returns; returns
   * what stays unsettled.
   */
  settled(channel: Uint8Array, paidTotal: bigint): bigint {
    this.#assertOpen();
    checkU64(paidTotal, 'paidTotal');
    const key = keyOf(channel);
    const entry = this.#latest.get(key);
    if (entry === undefined) throw new WorkerError('UNKNOWN_CHANNEL', 'no receipt on this channel', { field: 'channel' });
    if (paidTotal > entry.amount) {
      throw new WorkerError('BAD_VALUE', `the ledger pays at most the receipt's ${entry.amount}`, { field: 'paidTotal' });
    }
    const paid = maxBig(entry.paid, paidTotal);
    this.#latest.set(key, { ...entry, paid, since: entry.amount > paid ? entry.since : null });
    this.#dirty.add(key);
    this.flush();
    return entry.amount - paid;
  }

  /** Writes what waits now and acknowledges it. */
  flush(): void {
    this.#assertOpen();
    this.#group.flush();
  }

  /** Writes what waits, then closes the store. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#group.flush();
    } finally {
      this.#closed = true;
      this.#store.close();
    }
  }

  #write(): void {
    if (this.#dirty.size === 0) return;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    const entries = keys.map((key) => this.#latest.get(key) as LatestReceipt);
    try {
      this.#store.write(entries.map(rowOf));
    } catch (error) {
      for (const key of keys) {
        const durable = this.#durable.get(key);
        if (durable === undefined) this.#latest.delete(key);
        else this.#latest.set(key, durable);
      }
      throw error instanceof WorkerError
        ? error
        : new WorkerError('STORE_FAILED', `receipts not written: ${(error as Error).message}`, { cause: error });
    }
    for (const [i, key] of keys.entries()) this.#durable.set(key, entries[i]!);
  }

  #assertOpen(): void {
    if (this.#closed) throw new WorkerError('CLOSED', 'the receipt book is closed');
  }
}
