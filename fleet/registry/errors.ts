/**
 * Typed errors of the fleet registry. Callers (the controller's API, the CLI, the broker's key lookup) map the
 * code to an answer without reading messages; messages name the record or field at fault, never a password or a
 * token.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type RegistryErrorCode =
  | 'NOT_FOUND' // no device, release, rollout, lock, account or token by that name
  | 'CONFLICT' // the record exists already, or another holder has it (an update lock)
  | 'BAD_INPUT' // a field the registry cannot store: names the field and why
  | 'UNAUTHORIZED' // wrong username or password, or an unknown, expired or revoked API token
  | 'BAD_STORE' // the file is not a registry this build can read (another program's, or a newer format)
  | 'STORE_FAILED' // SQLite failed underneath (cause: its error); nothing of the call was written
  | 'CLOSED'; // the registry was closed

export const REGISTRY_ERROR_CODES: readonly RegistryErrorCode[] = [
  'NOT_FOUND',
  'CONFLICT',
  'BAD_INPUT',
  'UNAUTHORIZED',
  'BAD_STORE',
  'STORE_FAILED',
  'CLOSED',
];

export class RegistryError extends AmeError {
  declare readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
