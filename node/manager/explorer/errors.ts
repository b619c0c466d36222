/**
 * Errors of the explorer API and its client, and the one place where an error becomes an HTTP status and a JSON
 * body `{code, reason, message}` (docs/explorer.md "Errors").
 */
import { AmeError } from '../../crypto/errors.ts';
import { StoreError } from '../../store/index.ts';
import { ChainStoreError } from '../chain-store.ts';
import { ManagerError } from '../errors.ts';

export type ExplorerErrorCode =
  | 'BAD_REQUEST' // a request the API cannot read: bad query, bad percent-encoding, empty body
  | 'BAD_HEIGHT' // a height that is not a decimal u64
  | 'BAD_HASH' // a hash that is not 64 hex digits
  | 'BAD_HEX' // a body that is not hex
  | 'BAD_ADDRESS' // not an AME address
  | 'BAD_RANGE' // from > to
  | 'NOT_FOUND' // no such route, block, transaction or height
  | 'UNKNOWN_ACCOUNT' // an address the state does not hold (the body still carries the proof of its absence)
  | 'NOT_AVAILABLE' // what this server does not serve: roles not configured, a state version already pruned
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA' // a POST body type other than hex text, JSON {"tx"} or octet-stream
  | 'TOO_LARGE' // a request body over the limit (128 KiB)
  | 'UNREACHABLE' // client side: the API did not answer
  | 'BAD_RESPONSE' // client side: the API answered something that is not what it documents
  | 'CHAIN_MISMATCH' // client side: the API serves another chain than the one pinned
  | 'NOT_VERIFIED' // client side: the light client refused what the API served; `reason` is the ledger's code
  | 'REFUSED' // client side: the API refused a request with a code of its own; `reason` is that code
  | 'TIMEOUT'; // client side: a transaction was not included in time

export class ExplorerError extends AmeError {
  declare readonly code: ExplorerErrorCode;
  /** For errors relayed from the API: the remote code's detail (the ledger's code of a REJECTED transaction). */
  readonly reason: string | undefined;
  /** For errors relayed from the API: the HTTP status. */
  readonly status: number | undefined;
  /** Extra fields of an error body (UNKNOWN_ACCOUNT: the absence proof). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ExplorerErrorCode,
    message: string,
    options: ErrorOptions & { reason?: string; status?: number; details?: Record<string, unknown> } = {},
  ) {
    const { reason, status, details, ...rest } = options;
    super(code, message, rest);
    this.reason = reason;
    this.status = status;
    this.details = details;
  }
}

const EXPLORER_STATUS: Readonly<Record<ExplorerErrorCode, number>> = {
  BAD_REQUEST: 400,
  BAD_HEIGHT: 400,
  BAD_HASH: 400,
  BAD_HEX: 400,
  BAD_ADDRESS: 400,
  BAD_RANGE: 400,
  NOT_FOUND: 404,
  UNKNOWN_ACCOUNT: 404,
  NOT_AVAILABLE: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA: 415,
  TOO_LARGE: 413,
  UNREACHABLE: 502,
  BAD_RESPONSE: 502,
  CHAIN_MISMATCH: 409,
  NOT_VERIFIED: 502,
  REFUSED: 502,
  TIMEOUT: 504,
};

/** Refusals of a submitted transaction. */
const MANAGER_STATUS: Readonly<Record<string, number>> = { REJECTED: 400, DUPLICATE: 409, MEMPOOL_FULL: 429 };

export interface ErrorReply {
  readonly status: number;
  readonly body: { readonly code: string; readonly reason: string; readonly message: string } & Record<string, unknown>;
}

/** The HTTP status and JSON body of an error; anything unknown is a 500 INTERNAL without its message. */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof ExplorerError) {
    const body = { ...error.details, code: error.code, reason: error.reason ?? '', message: error.message };
    return { status: EXPLORER_STATUS[error.code], body };
  }
  if (error instanceof ManagerError && MANAGER_STATUS[error.code] !== undefined) {
    return { status: MANAGER_STATUS[error.code]!, body: { code: error.code, reason: error.reason ?? '', message: error.message } };
  }
  if (error instanceof ChainStoreError && error.code === 'BAD_RANGE') {
    return { status: 400, body: { code: 'BAD_RANGE', reason: '', message: error.message } };
  }
  if (error instanceof StoreError && error.code === 'PRUNED') {
    return { status: 404, body: { code: 'NOT_AVAILABLE', reason: 'PRUNED', message: 'the state of that height is no longer kept' } };
  }
  if ((error instanceof StoreError || error instanceof ChainStoreError) && error.code === 'CLOSED') {
    return { status: 503, body: { code: 'UNAVAILABLE', reason: '', message: 'the manager is stopping' } };
  }
  return { status: 500, body: { code: 'INTERNAL', reason: '', message: 'internal error' } };
}
