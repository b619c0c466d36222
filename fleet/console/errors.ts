/**
 * Typed errors of the fleet's web console and the HTTP helpers it shares with the controller's API. The API maps
 * each code to an HTTP status without reading messages; messages name what is wrong, never a password, a session
 * id or a CSRF token.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type ConsoleErrorCode =
  | 'UNAUTHORIZED' // wrong username or password, or no, an unknown or an expired session
  | 'FORBIDDEN' // a state-changing request without its session's CSRF token, from another origin, or beyond the role
  | 'BAD_INPUT' // a request body that is not the JSON object expected: names the field
  | 'TOO_LARGE' // a request body over its limit
  | 'TOO_MANY_ATTEMPTS' // too many failed logins for one username from one address: wait (the message says how long)
  | 'NOT_FOUND'; // no such console path

export const CONSOLE_ERROR_CODES: readonly ConsoleErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN', 'BAD_INPUT', 'TOO_LARGE', 'TOO_MANY_ATTEMPTS', 'NOT_FOUND'];

export class ConsoleError extends AmeError {
  declare readonly code: ConsoleErrorCode;

  constructor(code: ConsoleErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
