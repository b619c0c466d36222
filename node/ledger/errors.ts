/**
 * Typed errors of the ledger. Decoders of untrusted bytes (transactions, blocks, receipts, genesis, state
 * records) throw nothing but LedgerError (a WireError from below is wrapped as MALFORMED with it as the cause),
 * and every validation failure names the field it is about in `field`.
 */
import { AmeError } from '../crypto/errors.ts';

export type LedgerErrorCode =
  | 'MALFORMED' // bytes that are not the canonical encoding of what was expected (cause: the WireError)
  | 'BAD_FIELD' // a well-formed value that breaks a rule of its field (range, length, unknown kind)
  | 'BAD_PARAMS' // a parameter set that cannot work (zero period, shares that do not add up, …)
  | 'BAD_GENESIS' // a genesis configuration that cannot start a chain
  | 'WRONG_CHAIN' // a transaction or block made for another genesis
  | 'BAD_SIGNATURE' // a transaction, receipt, authorisation or certificate signature that does not verify
  | 'BAD_NONCE' // a transaction whose nonce is not the signer's next one (replays included)
  | 'FEE_TOO_LOW' // a fee below the minimum, or a fee on a transaction kind that carries none
  | 'INSUFFICIENT_FUNDS' // the paying account cannot cover an amount (or the fee)
  | 'UNKNOWN_ACCOUNT' // an account that holds nothing and has never signed
  | 'UNKNOWN_NODE' // a PeerId the ledger has no registration for
  | 'NODE_EXISTS' // a registration of a PeerId that is already registered
  | 'BAD_ROLE' // a role or status that does not allow the operation (promote a worker, exit twice, …)
  | 'NOT_AUTHORISED' // a signer that may not make this transaction (not a manager, not the payout account, …)
  | 'NOT_ELIGIBLE' // a promotion the node's record does not earn yet; field = the unmet criterion's parameter
  | 'UNKNOWN_CHANNEL' // a payment channel id the ledger does not hold
  | 'CHANNEL_EXISTS' // a channel id already in use
  | 'CHANNEL_CLOSED' // settle or close on a channel that is closed (or closing past its window)
  | 'BAD_RECEIPT' // a receipt that is not for this channel or payee, or whose session authorisation fails
  | 'EXPIRED' // a session authorisation past its expiry at block time
  | 'TOO_EARLY' // a period close, exit or channel close before its time
  | 'STALE_EPOCH' // a ring change whose epoch is not above the recorded one
  | 'BAD_BLOCK' // a block that does not fit the chain (height, parent, root, size, a transaction that cannot pay)
  | 'BAD_CERTIFICATE' // a certificate without a quorum of managers' (or the recovery keys' threshold of) valid signatures
  | 'BAD_PROOF' // a state proof that does not lead to the root a light client verified
  | 'STATE' // a state record that is missing or does not decode (a damaged or foreign store)
  | 'INVARIANT'; // a supply or balance invariant that does not hold after a block

export const LEDGER_ERROR_CODES: readonly LedgerErrorCode[] = [
  'MALFORMED',
  'BAD_FIELD',
  'BAD_PARAMS',
  'BAD_GENESIS',
  'WRONG_CHAIN',
  'BAD_SIGNATURE',
  'BAD_NONCE',
  'FEE_TOO_LOW',
  'INSUFFICIENT_FUNDS',
  'UNKNOWN_ACCOUNT',
  'UNKNOWN_NODE',
  'NODE_EXISTS',
  'BAD_ROLE',
  'NOT_AUTHORISED',
  'NOT_ELIGIBLE',
  'UNKNOWN_CHANNEL',
  'CHANNEL_EXISTS',
  'CHANNEL_CLOSED',
  'BAD_RECEIPT',
  'EXPIRED',
  'TOO_EARLY',
  'STALE_EPOCH',
  'BAD_BLOCK',
  'BAD_CERTIFICATE',
  'BAD_PROOF',
  'STATE',
  'INVARIANT',
];

export interface LedgerErrorOptions extends ErrorOptions {
  /** The field the error is about, as a path: 'body.amount', 'params.blockLimitBytes', 'sigs[1]'. */
  readonly field?: string;
}

export class LedgerError extends AmeError {
  declare readonly code: LedgerErrorCode;
  readonly field: string | undefined;

  constructor(code: LedgerErrorCode, message: string, options: LedgerErrorOptions = {}) {
    const { field, ...rest } = options;
    super(code, field === undefined ? message : `${field}: ${message}`, rest);
    this.field = field;
  }
}

/** Runs `fn`, turning any non-ledger error from the layers below into LedgerError `code` (cause kept). */
export function wrapLower<T>(code: LedgerErrorCode, what: string, fn: () => T, field?: string): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new LedgerError(code, `${what}: ${message}`, field === undefined ? { cause: error } : { cause: error, field });
  }
}
