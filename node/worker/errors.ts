/**
 * Typed errors of node/worker. What a worker refuses from a client (receipts, authorisations) is a WorkerError
 * naming the field it is about, with the lower layer's error as its cause, so a caller maps one class to a reply
 * and never has to tell a LedgerError from a CryptoError.
 */
import { AmeError } from '../crypto/errors.ts';

export type WorkerErrorCode =
  | 'MALFORMED' // bytes that do not decode as a receipt or a session authorisation (cause: the LedgerError)
  | 'BAD_VALUE' // an amount, price, score or policy out of range, or a settlement above the receipt it settles
  | 'UNKNOWN_PAYEE' // a payment to a node that is not a payee of the channel
  | 'OVER_ESCROW' // receipts that would owe more than the channel's escrow can pay
  | 'WRONG_PAYEE' // a receipt that pays another node, or a node the channel does not list
  | 'UNKNOWN_CHANNEL' // a channel the ledger view (or, to settle, the book) does not hold
  | 'CHANNEL_CLOSED' // a channel that is closing or closed: it takes no new receipts
  | 'WRONG_CLIENT' // a session authorised by another account than the channel's client
  | 'BAD_AUTHORIZATION' // a session authorisation whose key does not hash to its account, or names another session key
  | 'BAD_SIGNATURE' // a receipt or authorisation signature that does not verify
  | 'EXPIRED' // a session authorisation past its expiry at the injected clock
  | 'REPLAY' // a receipt nonce not above the last one on its channel
  | 'UNDERPAID' // a cumulative amount below what was already owed plus the request's price
  | 'NOTHING_DUE' // a settlement of a channel whose latest receipt the ledger already paid
  | 'STATE_CONFLICT' // durable state changed under us: a second writer on the same channel
  | 'BAD_STORE' // a payments file that does not hold what this build writes
  | 'STORE_FAILED' // a durable write failed; what waited on it is refused (cause: the error)
  | 'NOT_AUDITOR' // an audit request from a peer that is not one of the managers
  | 'NOT_FOUND' // an audit of a log entry or receipt this worker does not hold (not sealed, pruned, never served)
  | 'NOT_MANAGER' // an introduction signed by a key outside the current manager set
  | 'WRONG_UNITY' // an introduction for another Unity or another chain than the index server's
  | 'REFUSED' // a worker refused a request; `remote` holds its error's class and code (e.g. "WorkerError:REPLAY")
  | 'CLOSED'; // a spender or receipt book used after close

export const WORKER_ERROR_CODES: readonly WorkerErrorCode[] = [
  'MALFORMED',
  'BAD_VALUE',
  'UNKNOWN_PAYEE',
  'OVER_ESCROW',
  'WRONG_PAYEE',
  'UNKNOWN_CHANNEL',
  'CHANNEL_CLOSED',
  'WRONG_CLIENT',
  'BAD_AUTHORIZATION',
  'BAD_SIGNATURE',
  'EXPIRED',
  'REPLAY',
  'UNDERPAID',
  'NOTHING_DUE',
  'STATE_CONFLICT',
  'BAD_STORE',
  'STORE_FAILED',
  'NOT_AUDITOR',
  'NOT_FOUND',
  'NOT_MANAGER',
  'WRONG_UNITY',
  'REFUSED',
  'CLOSED',
];

export interface WorkerErrorOptions extends ErrorOptions {
  /** The field the error is about, as a path: 'receipt.nonce', 'authorization.expiresAt'. */
  readonly field?: string;
  /** REFUSED: the remote error's class and code, "WorkerError:REPLAY". */
  readonly remote?: string;
}

export class WorkerError extends AmeError {
  declare readonly code: WorkerErrorCode;
  readonly field: string | undefined;
  readonly remote: string | undefined;

  constructor(code: WorkerErrorCode, message: string, options: WorkerErrorOptions = {}) {
    const { field, remote, ...rest } = options;
    super(code, field === undefined ? message : `${field}: ${message}`, rest);
    this.field = field;
    this.remote = remote;
  }
}
