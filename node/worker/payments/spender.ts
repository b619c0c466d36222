/**
 * The client's side of a payment channel (SPEC §6 item 4): per request it signs, with its session key, a
 * receipt for the cumulative amount it owes one payee. It refuses to sign a total over all payees beyond the
 * escrow: the ledger would pay such receipts only in settlement order and mark the client with a bad record.
 */
import {
  bytesEqual,
  type Ed25519KeyPair,
  encodeSessionAuthorization,
  type SessionAuthorization,
} from '../../crypto/index.ts';
import type { ReceiptFields } from '../../ledger/index.ts';
import { WorkerError } from '../errors.ts';
import { checkScore, checkU64, keyOf, receiptHash } from './amounts.ts';
import { signedReceiptBytes } from './receipt-bytes.ts';
import type { SpenderStore } from './spender-store.ts';

export interface SpenderChannel {
  readonly id: Uint8Array;
  /** The escrow the channel was opened with: the most all receipts together may owe. */
  readonly escrow: bigint;
  readonly payees: readonly Uint8Array[];
  readonly currency: 'ABC' | 'ABIT';
}

export interface ChannelSpenderOptions {
  readonly channel: SpenderChannel;
  readonly session: Ed25519KeyPair;
  readonly authorization: SessionAuthorization;
  readonly store: SpenderStore;
  /** Unix ms; a receipt under an expired authorisation is refused before it costs escrow. */
  readonly now: () => number;
}

export interface Payment {
  /** The encoded receipt, for the payee. */
  readonly receipt: Uint8Array;
  /** The encoded session authorisation the payee checks the receipt against. */
  readonly authorization: Uint8Array;
  /** SHA-256 of `receipt`: what the service log names. */
  readonly hash: Uint8Array;
  readonly fields: ReceiptFields;
}

export class ChannelSpender {
  readonly #channel: SpenderChannel;
  readonly #session: Ed25519KeyPair;
  readonly #authorization: SessionAuthorization;
  readonly #authorizationBytes: Uint8Array;
  readonly #store: SpenderStore;
  readonly #now: () => number;
  readonly #payees: Set<string>;
  readonly #owed: Map<string, bigint>;
  #nextNonce: bigint;
  #total: bigint;

  constructor(options: ChannelSpenderOptions) {
    const { channel, session, authorization } = options;
    if (!bytesEqual(session.publicKey.bytes, authorization.sessionPublicKey)) {
      throw new WorkerError('BAD_AUTHORIZATION', 'the authorisation names another session key', {
        field: 'authorization.sessionPublicKey',
      });
    }
    checkU64(channel.escrow, 'channel.escrow');
    this.#channel = { ...channel, id: Uint8Array.from(channel.id), payees: channel.payees.map((p) => Uint8Array.from(p)) };
    this.#session = session;
    this.#authorization = authorization;
    this.#authorizationBytes = encodeSessionAuthorization(authorization);
    this.#store = options.store;
    this.#now = options.now;
    this.#payees = new Set(channel.payees.map(keyOf));
    const state = options.store.load(channel.id);
    this.#owed = new Map(state.owed);
    this.#nextNonce = state.nextNonce;
    this.#total = [...this.#owed.values()].reduce((a, b) => a + b, 0n);
    if (this.#total > channel.escrow) {
      throw new WorkerError('OVER_ESCROW', `the store records ${this.#total} signed, above the escrow ${channel.escrow}`, {
        field: 'channel.escrow',
      });
    }
  }

  get channel(): SpenderChannel {
    return this.#channel;
  }

  /** The encoded authorisation to send with receipts. */
  get authorization(): Uint8Array {
    return Uint8Array.from(this.#authorizationBytes);
  }

  get nextNonce(): bigint {
    return this.#nextNonce;
  }

  /** What all receipts signed so far owe together. */
  get total(): bigint {
    return this.#total;
  }

  /** What the escrow can still cover. */
  get remaining(): bigint {
    return this.#channel.escrow - this.#total;
  }

  /** The cumulative amount signed to `payee` (0 for none). */
  owed(payee: Uint8Array): bigint {
    return this.#owed.get(keyOf(payee)) ?? 0n;
  }

  /**
   * Signs a receipt owing `payee` `amount` more than before, under the next nonce, after recording it durably.
   * A crash between the record and the hand-out costs the client that one amount (the next receipt carries it);
   * the other order could sign the same nonce twice or a lower amount after a restart.
   */
  pay(payee: Uint8Array, amount: bigint, score?: number): Payment {
    checkU64(amount, 'amount');
    if (score !== undefined) checkScore(score, 'score');
    const key = keyOf(payee);
    if (!this.#payees.has(key)) throw new WorkerError('UNKNOWN_PAYEE', 'not a payee of this channel', { field: 'payee' });
    if (amount > this.remaining) {
      throw new WorkerError('OVER_ESCROW', `${amount} more would owe ${this.#total + amount}, escrow ${this.#channel.escrow}`, {
        field: 'amount',
      });
    }
    if (this.#now() >= this.#authorization.expiresAt) {
      throw new WorkerError('EXPIRED', 'the session authorisation has expired', { field: 'authorization.expiresAt' });
    }
    const cumulative = this.owed(payee) + amount;
    const nonce = this.#nextNonce;
    this.#store.record(this.#channel.id, payee, cumulative, nonce);
    this.#owed.set(key, cumulative);
    this.#nextNonce = nonce + 1n;
    this.#total += amount;
    const fields: ReceiptFields = {
      channel: this.#channel.id,
      payee: Uint8Array.from(payee),
      amount: cumulative,
      nonce,
      ...(score === undefined ? {} : { score }),
    };
    const receipt = signedReceiptBytes(this.#session, fields);
    return { receipt, authorization: this.authorization, hash: receiptHash(receipt), fields };
  }
}
