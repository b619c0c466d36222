/**
 * Typed errors of the Mosquitto dynamic-security backend: the admin client that speaks the plugin's JSON API on
 * `$CONTROL/dynamic-security/v1`, and the per-device logins built on it.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type DynsecErrorCode =
  | 'BAD_OPTIONS' // an admin URL, credential, batch size or device id the backend cannot use
  | 'CONNECT_FAILED' // the admin client could not log in to the broker (cause: the MQTT error)
  | 'NOT_STARTED' // a command before start resolved
  | 'CLOSED' // a command after stop, or the connection went while commands waited for their answers
  | 'TIMEOUT' // the plugin did not answer a command in time (is the plugin loaded? is the admin allowed?)
  | 'REFUSED'; // the plugin answered a command with an error (e.g. "Client already exists")

export const DYNSEC_ERROR_CODES: readonly DynsecErrorCode[] = [
  'BAD_OPTIONS',
  'CONNECT_FAILED',
  'NOT_STARTED',
  'CLOSED',
  'TIMEOUT',
  'REFUSED',
];

export class DynsecError extends AmeError {
  declare readonly code: DynsecErrorCode;

  constructor(code: DynsecErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
