/**
 * Errors of the CLI layer and the one place where any AmeError becomes an exit code.
 * User errors print one line naming the problem, never a stack trace.
 */
import { AmeError } from '../node/crypto/errors.ts';

export type CliErrorCode =
  | 'USAGE' // unknown command or option, missing argument
  | 'NOT_FOUND' // a file the command needs does not exist
  | 'BAD_INPUT' // a file the command needs that does not hold what it should
  | 'EXISTS' // refusing to overwrite something valuable (a wallet)
  | 'NEEDS_PASSWORD' // an encrypted keystore and no way to ask for its password
  | 'NOT_CONFIRMED' // a dangerous action that was not confirmed
  | 'VERIFY_FAILED' // a signature that does not verify
  | 'TX_FAILED' // a transaction a final block holds as failed (its fee was charged)
  | 'WRONG_STATE' // a channel (or client folder) whose state does not allow the command: closing, closed, other chain
  | 'NO_FUNDS' // an account that cannot pay what a command would make it sign (refused before signing)
  | 'UNAVAILABLE' // a service the command talks to does not answer (the fleet controller)
  | 'REFUSED'; // a service answered with a refusal (its code and message are printed)

export class CliError extends AmeError {
  declare readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Exit codes: 2 for usage errors (as getopt-style tools do), 1 for every other known error. */
export function exitCodeOf(error: AmeError): number {
  return error.code === 'USAGE' ? 2 : 1;
}
