/**
 * The payee's checks of one incoming receipt, pure: nothing is stored here. Cheap structural checks run before
 * any signature, so junk costs no verification; the signatures are checked with the ledger's own verifyReceipt,
 * so whatever a book accepts the ledger will settle (while the channel is open and the authorisation unexpired).
 */
import { bytesEqual, CryptoError, type SessionAuthorization, verifyAny, type VerifySig } from '../../crypto/index.ts';
import { type ChannelRecord, decodeAuthorization, decodeReceipt, LedgerError, type Receipt, verifyReceipt } from '../../ledger/index.ts';
import { WorkerError } from '../errors.ts';
import { checkU64, maxBig } from './amounts.ts';

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
  readonly verify?: VerifySig;
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
    if (error.code === 'EXPIRED') {
      throw new WorkerError('EXPIRED', 'the session authorisation has expired', {
        cause: error,
        field: 'authorization.expiresAt',
      });
    }
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

/** Throws WorkerError naming the first field that fails; returns the decoded receipt when every check passes. */
export function checkReceipt(input: ReceiptCheck): CheckedReceipt {
  const price = checkU64(input.price, 'price');
  const receipt = decoded(() => decodeReceipt(input.receipt), 'receipt');
  const auth = decoded(() => decodeAuthorization(input.authorization), 'authorization');
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
  verifySignatures(receipt, auth, input.now, input.verify ?? verifyAny);
  return { receipt, authorization: auth, ledgerPaid, earned: amount - floor };
}
