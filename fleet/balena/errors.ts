/**
 * Typed errors of the balenaCloud backend. balenaCloud is a peer: its replies are checked, and a reply the backend
 * cannot read is BAD_REPLY, never a crash. Messages name the device, release, variable or call at fault.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type BalenaErrorCode =
  | 'BAD_INPUT' // an argument the backend cannot send: a malformed uuid, commit or variable name (names it)
  | 'BAD_REPLY' // a balena API reply of the wrong shape (names the call and the field)
  | 'API_FAILED' // the balena API refused or could not be reached (cause: the SDK's error)
  | 'BAD_STATE' // a call the fleet or the rollout's state does not allow (a second rollout, a fleet tracking latest)
  | 'NOT_FOUND' // no such rollout
  | 'CLOSED'; // used after stop

export const BALENA_ERROR_CODES: readonly BalenaErrorCode[] = ['BAD_INPUT', 'BAD_REPLY', 'API_FAILED', 'BAD_STATE', 'NOT_FOUND', 'CLOSED'];

export class BalenaError extends AmeError {
  declare readonly code: BalenaErrorCode;

  constructor(code: BalenaErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
