/**
 * Typed errors of the fleet's release store and repository server. Callers (the controller's API, the CLI) map the
 * code to an answer without reading messages; messages name the file, release or field at fault.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type RepositoryErrorCode =
  | 'BAD_BUNDLE' // pushed bytes that node/update's readBundle refuses (cause: its UpdateError)
  | 'BAD_KEYS' // a key file that does not hold a 32-byte seed in hex
  | 'BAD_STATE' // the repository's state file is not one this build wrote
  | 'BAD_ROOT' // a root from an offline ceremony that is not the complete next root, or leaves out an online key
  | 'LISTEN_FAILED' // the HTTP listener could not be opened (cause: the system error)
  | 'NOT_STARTED' // the address of a server that is not listening
  | 'CLOSED'; // a store or server used after stop

export const REPOSITORY_ERROR_CODES: readonly RepositoryErrorCode[] = [
  'BAD_BUNDLE',
  'BAD_KEYS',
  'BAD_STATE',
  'BAD_ROOT',
  'LISTEN_FAILED',
  'NOT_STARTED',
  'CLOSED',
];

export class RepositoryError extends AmeError {
  declare readonly code: RepositoryErrorCode;

  constructor(code: RepositoryErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
