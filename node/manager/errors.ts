/** Errors of node/manager (docs/manager.md). */
import { AmeError } from '../crypto/errors.ts';

export type ManagerErrorCode =
  | 'REJECTED' // the transaction failed admission (decoding, signature, nonce, fee…); `reason` is the ledger's code
  | 'DUPLICATE' // the transaction, or another one with the same signer and nonce, is already pooled
  | 'MEMPOOL_FULL' // the mempool holds its maximum number of transactions
  | 'BAD_CONFIG' // the server's options do not fit its genesis or host
  | 'BAD_REPLY' // a manager's reply could not be decoded
  | 'BAD_SNAPSHOT' // a state snapshot from a member is inconsistent or does not lead to the expected root
  | 'SYNC_FAILED' // state sync found no member that could bring this manager to a certified state
  | 'SIGN_REFUSED' // a manager will not sign a ring document (`manager/ring-sign`); `reason` says why (ring-certifier.ts)
  | 'QUORUM_TIMEOUT'; // the ring-document collector had no quorum of valid shares by its deadline

export const MANAGER_ERROR_CODES: readonly ManagerErrorCode[] = [
  'REJECTED',
  'DUPLICATE',
  'MEMPOOL_FULL',
  'BAD_CONFIG',
  'BAD_REPLY',
  'BAD_SNAPSHOT',
  'SYNC_FAILED',
  'SIGN_REFUSED',
  'QUORUM_TIMEOUT',
];

export class ManagerError extends AmeError {
  declare readonly code: ManagerErrorCode;
  /** REJECTED: the ledger's error code (BAD_NONCE, BAD_SIGNATURE, …); SIGN_REFUSED: a `RingSignRefusal`. */
  readonly reason: string | undefined;

  constructor(code: ManagerErrorCode, message: string, options: ErrorOptions & { readonly reason?: string } = {}) {
    const { reason, ...rest } = options;
    super(code, message, rest);
    this.reason = reason;
  }
}
