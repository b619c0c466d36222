/**
 * The payee's side of payment channels (SPEC §6 item 4): it checks each receipt a client sends with a request,
 * keeps only the latest per channel, acknowledges it once it is durable, and tells the node what to settle.
 *
 * Accepts update the in-memory book at once, so the next receipt on the same channel is checked against them,
 * and are written by group commit — the book's own, or a transaction it shares with other writers of the same
 * file (`commit`: a worker's service log, so its receipts and log entries cost one sync per turn together); a
 * failed write rolls the book back to what is on disk and refuses every accept of that group. Nothing that was
 * acknowledged can be lost, and a refused receipt changes nothing.
 *
 * Every receipt's signature is verified before it is accepted (an audit judges a logged request whose receipt
 * does not verify as cheating, so none may be skipped); what repeats in every request of a session — decoding
 * the authorisation and checking the account's signature over the session key — is done once per authorisation
 * (Sessions).
 */
import type { AccountKey, VerifySig } from '../../crypto/index.ts';
import { decodeAuthorization, decodeReceipt, type TxFields } from '../../ledger/index.ts';
import { WorkerError } from '../errors.ts';
import { checkU64, keyOf, maxBig, receiptHash } from './amounts.ts';
import type { BookRow, BookStore } from './book-store.ts';
import { GroupCommit, nextTurn, type Scheduler, type SharedCommit } from './group-commit.ts';
import { type ChannelView, type CheckedReceipt, checkReceipt, Sessions } from './receipt-check.ts';
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
  /** Signature check of an authorisation's account signature (once per authorisation; a SignatureCache's also across books). */
  readonly verify?: VerifySig;
  /**
   * A transaction shared with other writers of the store's file (SqliteBookStore.on): the book's rows of a turn
   * go into it instead of a group commit of its own (`schedule` and `maxGroup` then do not apply).
   */
  readonly commit?: SharedCommit;
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

/** An accepted receipt and the promise that it is durable (ReceiptBook.take). */
export interface Taken {
  readonly accepted: Accepted;
  /** Resolves once the book's row is on disk; rejects (and the book rolls back) if its write fails. */
  readonly durable: Promise<void>;
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
  readonly #sessions = new Sessions();
  /** The shared transaction the dirty rows wait for (with `commit`). */
  #staged: Promise<void> | undefined;
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

  /** Accepts waiting for the next group commit (of the book's own). */
  get pending(): number {
    return this.#group.pending;
  }

  /**
   * Checks a receipt for a request costing `price` and keeps it as the channel's latest; resolves once that is
   * durable. Rejects with WorkerError naming the field, and then nothing is kept.
   */
  accept(receipt: Uint8Array, authorization: Uint8Array, price: bigint): Promise<Accepted> {
    let taken: Taken;
    try {
      taken = this.take(receipt, authorization, price);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return taken.durable.then(() => taken.accepted);
  }

  /**
   * accept(), in two steps: the checks (throwing WorkerError naming the field, and then nothing is kept), and the
   * promise that the receipt is durable — so a caller can put what goes with it into the same group commit (a
   * worker's log entry) before waiting. The receipt must not be acted on before `durable` resolves.
   */
  take(receipt: Uint8Array, authorization: Uint8Array, price: bigint): Taken {
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
      sessions: this.#sessions,
      ...(this.#options.verify === undefined ? {} : { verify: this.#options.verify }),
    });
    return this.#keep(checked, receipt, authorization, now);
  }

  /** Keeps a checked receipt as its channel's latest; the Taken whose `durable` is its group commit. */
  #keep(checked: CheckedReceipt, receipt: Uint8Array, authorization: Uint8Array, now: number): Taken {
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
    const accepted: Accepted = {
      hash: receiptHash(receipt),
      channel: Uint8Array.from(channel),
      amount,
      nonce,
      earned: checked.earned,
      unsettled: amount - paid,
    };
    return { accepted, durable: this.#options.commit === undefined ? this.#group.wait() : this.#stage() };
  }

  /** The dirty rows in the shared transaction of this turn: the first accept stages the write, the rest wait for it. */
  #stage(): Promise<void> {
    if (this.#staged !== undefined) return this.#staged;
    let written: Map<string, LatestReceipt> | undefined;
    const staged = this.#options.commit!.run(() => {
      // Accepts from here on wait for the next transaction.
      this.#staged = undefined;
      written = this.#writeDirty();
    });
    this.#staged = staged;
    return staged.then(
      () => {
        for (const [key, entry] of written!) this.#durable.set(key, entry);
      },
      (error: unknown) => {
        if (this.#staged === staged) {
          // The transaction failed before the write ran: every accept waiting for it is refused.
          this.#staged = undefined;
          written = this.#takeDirty();
        }
        // The write may have run and the transaction failed after it: what it wrote is not on disk. (A write that
        // failed itself rolled back already.)
        if (written !== undefined) this.#rollBack(written);
        throw error instanceof WorkerError
          ? error
          : new WorkerError('STORE_FAILED', `receipts not written: ${(error as Error).message}`, { cause: error });
      },
    );
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
    for (const [key, entry] of this.#writeDirty()) this.#durable.set(key, entry);
  }

  /** Writes the dirty rows (durable once the transaction around it commits); on failure rolls them back and throws. */
  #writeDirty(): Map<string, LatestReceipt> {
    const written = this.#takeDirty();
    if (written.size === 0) return written;
    try {
      this.#store.write([...written.values()].map(rowOf));
    } catch (error) {
      this.#rollBack(written);
      throw error instanceof WorkerError
        ? error
        : new WorkerError('STORE_FAILED', `receipts not written: ${(error as Error).message}`, { cause: error });
    }
    return written;
  }

  #takeDirty(): Map<string, LatestReceipt> {
    const taken = new Map<string, LatestReceipt>();
    for (const key of this.#dirty) taken.set(key, this.#latest.get(key) as LatestReceipt);
    this.#dirty.clear();
    return taken;
  }

  /** Back to what is on disk, for the channels whose latest is still what a failed write held. */
  #rollBack(failed: ReadonlyMap<string, LatestReceipt>): void {
    for (const [key, entry] of failed) {
      if (this.#latest.get(key) !== entry) continue;
      const durable = this.#durable.get(key);
      if (durable === undefined) this.#latest.delete(key);
      else this.#latest.set(key, durable);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new WorkerError('CLOSED', 'the receipt book is closed');
  }
}
