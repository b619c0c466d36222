/**
 * The payee's checks of one incoming receipt: nothing is stored here. Cheap structural checks run before any
 * signature, so junk costs no verification; the signatures are checked with the ledger's own verifyReceipt, so
 * whatever a book accepts the ledger will settle (while the channel is open and the authorisation unexpired).
 *
 * A `Sessions` cache spares what repeats in every request of a session: once the ledger's verifyReceipt has
 * passed a receipt under some authorisation bytes, those bytes are known good — decoded, the account's signature
 * over the session key checked — and the next receipt under them needs only the expiry and its own Ed25519
 * signature, over the very bytes the ledger would sign (receipt-bytes.ts).
 */
import { bytesEqual, CryptoError, Ed25519PublicKey, type SessionAuthorization, verifyAny, type VerifySig } from '../../crypto/index.ts';
import { type ChannelRecord, decodeAuthorization, decodeReceipt, LedgerError, type Receipt, verifyReceipt } from '../../ledger/index.ts';
import { WorkerError } from '../errors.ts';
import { checkU64, maxBig } from './amounts.ts';
import { receiptSignedBytes } from './receipt-bytes.ts';

/** What a payee needs to know of a channel from the ledger (a StateView's `channel` gives it). */
export type ChannelInfo = Pick<ChannelRecord, 'client' | 'status' | 'escrow' | 'payees' | 'paid' | 'closeAt'>;
/** The caller's view of the ledger's channels (a light client's, or a full node's state). */
export type ChannelView = (id: Uint8Array) => ChannelInfo | undefined;

/** The latest receipt the book holds on a channel. */
export interface PreviousReceipt {
  readonly amount: bigint;
  readonly nonce: bigint;
}

export interface ReceiptCheck {
  readonly receipt: Uint8Array;
  readonly authorization: Uint8Array;
  /** What this request costs: the receipt must owe at least this much more than before. */
  readonly price: bigint;
  /** This node's key: the payee receipts must name. */
  readonly self: Uint8Array;
  readonly now: number;
  readonly channels: ChannelView;
  readonly previous: (channel: Uint8Array) => PreviousReceipt | undefined;
  /** The account signature's check (a SignatureCache's spares re-checking it); default verifyAny. */
  readonly verify?: VerifySig;
  /** Authorisations already found good (see Sessions); without it every signature is checked every time. */
  readonly sessions?: Sessions;
}

export interface CheckedReceipt {
  readonly receipt: Receipt;
  readonly authorization: SessionAuthorization;
  /** What the ledger has already paid this payee on the channel. */
  readonly ledgerPaid: bigint;
  /** How much more this receipt owes than the floor it had to clear (the book's latest or the ledger's payout). */
  readonly earned: bigint;
}

function decoded<T>(fn: () => T, field: string): T {
  try {
    return fn();
  } catch (error) {
    throw new WorkerError('MALFORMED', (error as Error).message, { cause: error, field });
  }
}

/** The ledger's verdict on the signatures, as WorkerError naming the field. */
function verifySignatures(receipt: Receipt, auth: SessionAuthorization, now: number, verify: VerifySig): void {
  try {
    verifyReceipt(receipt, auth, auth.account, now, verify);
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    if (error.code === 'EXPIRED') throw expired(error);
    if (error.code === 'BAD_SIGNATURE') {
      throw new WorkerError('BAD_SIGNATURE', 'not signed by the authorised session key', {
        cause: error,
        field: 'receipt.sig',
      });
    }
    if (error.cause instanceof CryptoError && error.cause.code === 'BAD_SIGNATURE') {
      throw new WorkerError('BAD_SIGNATURE', 'the account did not sign this authorisation', {
        cause: error,
        field: 'authorization.signature',
      });
    }
    throw new WorkerError('BAD_AUTHORIZATION', error.message, { cause: error, field: 'authorization' });
  }
}

const expired = (cause?: unknown) =>
  new WorkerError('EXPIRED', 'the session authorisation has expired', { cause, field: 'authorization.expiresAt' });

/** An authorisation that passed the ledger's checks once, and its session key ready to verify with. */
export interface KnownSession {
  readonly auth: SessionAuthorization;
  readonly key: Ed25519PublicKey;
}

const badReceiptSig = () => new WorkerError('BAD_SIGNATURE', 'not signed by the authorised session key', { field: 'receipt.sig' });

/**
 * Session authorisations a payee has seen pass the ledger's verifyReceipt, by their exact bytes (least recently
 * used first out). Only good ones are kept, so a forged authorisation is checked — and refused — every time.
 */
export class Sessions {
  readonly #known = new Map<string, KnownSession>();
  readonly #capacity: number;

  constructor(capacity = 2048) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#known.size;
  }

  /** The decoded authorisation of these bytes if they passed before. */
  known(bytes: Uint8Array): KnownSession | undefined {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const found = this.#known.get(id);
    if (found !== undefined) {
      this.#known.delete(id);
      this.#known.set(id, found);
    }
    return found;
  }

  /**
   * The ledger's verdict on the receipt's signatures (WorkerError naming the field): in full the first time these
   * authorisation bytes are seen, then the expiry and the receipt's own signature by the session key.
   */
  check(parsed: ParsedReceipt, receiptBytes: Uint8Array, authBytes: Uint8Array, now: number, verify: VerifySig): void {
    const { receipt, auth, known } = parsed;
    if (known === undefined) {
      verifySignatures(receipt, auth, now, verify);
      this.#remember(authBytes, auth);
      return;
    }
    if (now >= known.auth.expiresAt) throw expired();
    if (!known.key.verify(receiptSignedBytes(receiptBytes, receipt), receipt.sig)) throw badReceiptSig();
  }

  #remember(bytes: Uint8Array, auth: SessionAuthorization): void {
    // The ledger's check made this key already, so it is a valid one.
    const key = new Ed25519PublicKey(auth.sessionPublicKey);
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    this.#known.set(id, { auth, key });
    if (this.#known.size > this.#capacity) this.#known.delete(this.#known.keys().next().value!);
  }
}

/** A receipt and its authorisation, decoded (the authorisation from Sessions when it passed before). */
export interface ParsedReceipt {
  readonly receipt: Receipt;
  readonly auth: SessionAuthorization;
  readonly known: KnownSession | undefined;
}

/** Decodes both; MALFORMED naming the field. */
function parseReceipt(receiptBytes: Uint8Array, authBytes: Uint8Array, sessions?: Sessions): ParsedReceipt {
  const receipt = decoded(() => decodeReceipt(receiptBytes), 'receipt');
  const known = sessions?.known(authBytes);
  const auth = known?.auth ?? decoded(() => decodeAuthorization(authBytes), 'authorization');
  return { receipt, auth, known };
}

/** What the receipt's terms come to, once they hold. */
interface ReceiptTerms {
  readonly ledgerPaid: bigint;
  readonly earned: bigint;
}

/** The checks that need no signature (payee, channel, client, nonce, amount, escrow); WorkerError naming the field. */
function checkTerms(parsed: ParsedReceipt, input: Omit<ReceiptCheck, 'receipt' | 'authorization'>): ReceiptTerms {
  const price = checkU64(input.price, 'price');
  const { receipt, auth } = parsed;
  const { channel: id, payee, amount, nonce } = receipt.fields;
  if (!bytesEqual(payee, input.self)) {
    throw new WorkerError('WRONG_PAYEE', 'the receipt pays another node', { field: 'receipt.payee' });
  }
  const channel = input.channels(id);
  if (channel === undefined) {
    throw new WorkerError('UNKNOWN_CHANNEL', 'no such channel on the ledger', { field: 'receipt.channel' });
  }
  if (channel.status !== 'open') {
    throw new WorkerError('CHANNEL_CLOSED', `the channel is ${channel.status}`, { field: 'receipt.channel' });
  }
  const index = channel.payees.findIndex((p) => bytesEqual(p, payee));
  if (index < 0) throw new WorkerError('WRONG_PAYEE', 'this node is not a payee of the channel', { field: 'receipt.payee' });
  if (auth.account !== channel.client) {
    throw new WorkerError('WRONG_CLIENT', `session authorised by ${auth.account}, not the channel's client`, {
      field: 'authorization.account',
    });
  }
  const previous = input.previous(id);
  if (previous !== undefined && nonce <= previous.nonce) {
    throw new WorkerError('REPLAY', `nonce ${nonce} is not above ${previous.nonce}`, { field: 'receipt.nonce' });
  }
  // The ledger pays only the difference to what it paid, so a receipt below that is worth nothing to us.
  const ledgerPaid = channel.paid[index] ?? 0n;
  const floor = maxBig(previous?.amount ?? 0n, ledgerPaid);
  if (amount < floor + price) {
    throw new WorkerError('UNDERPAID', `owes ${amount}, at least ${floor + price} expected`, { field: 'receipt.amount' });
  }
  if (amount - ledgerPaid > channel.escrow) {
    throw new WorkerError('OVER_ESCROW', `owes ${amount - ledgerPaid} unpaid, the escrow holds ${channel.escrow}`, {
      field: 'receipt.amount',
    });
  }
  return { ledgerPaid, earned: amount - floor };
}

/** Throws WorkerError naming the first field that fails; returns the decoded receipt when every check passes. */
export function checkReceipt(input: ReceiptCheck): CheckedReceipt {
  checkU64(input.price, 'price');
  const parsed = parseReceipt(input.receipt, input.authorization, input.sessions);
  const terms = checkTerms(parsed, input);
  if (input.sessions === undefined) verifySignatures(parsed.receipt, parsed.auth, input.now, input.verify ?? verifyAny);
  else input.sessions.check(parsed, input.receipt, input.authorization, input.now, input.verify ?? verifyAny);
  return { receipt: parsed.receipt, authorization: parsed.auth, ...terms };
}
