/**
 * Typed errors of enrolment (SPEC §10): a device joins the fleet with a provisioning token the admin issued. The
 * token codes say what is wrong with the token without echoing it; the broker logs the code, never the token.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type EnrolErrorCode =
  | 'BAD_OPTIONS' // a token request the enrolment cannot honour (lifetime, uses, labels)
  | 'BAD_TOKEN' // text that is not a provisioning token at all
  | 'UNKNOWN_TOKEN' // no token with this id and secret (a wrong secret and a missing id look the same)
  | 'TOKEN_EXPIRED' // the token is at or past its expiry by the controller's clock
  | 'TOKEN_USED_UP' // the token was already used as many times as it allows
  | 'BAD_KEY' // the public key is not the key of the device id it claims
  | 'REVOKED' // the device was revoked: it cannot log in or enrol again
  | 'UNKNOWN_DEVICE' // revoking an id that was never enrolled
  | 'STORE_FAILED' // the enrolment store failed; nothing was recorded (cause: its error)
  | 'REVOKE_INCOMPLETE'; // the device is revoked in the store, but a broker did not drop its login (retry: idempotent)

export const ENROL_ERROR_CODES: readonly EnrolErrorCode[] = [
  'BAD_OPTIONS',
  'BAD_TOKEN',
  'UNKNOWN_TOKEN',
  'TOKEN_EXPIRED',
  'TOKEN_USED_UP',
  'BAD_KEY',
  'REVOKED',
  'UNKNOWN_DEVICE',
  'STORE_FAILED',
  'REVOKE_INCOMPLETE',
];

export class EnrolError extends AmeError {
  declare readonly code: EnrolErrorCode;

  constructor(code: EnrolErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
