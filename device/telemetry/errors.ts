/**
 * Typed errors of the device's MQTT client. Refused commands are not errors of this module: they are answered on
 * `cmd/result` with the FleetProtoError code that refused them.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type TelemetryErrorCode =
  | 'BAD_OPTIONS' // a broker URL, interval or limit the client cannot use
  | 'BAD_STORE' // an outbox file that cannot be opened or is not one this build writes (cause: the SQLite error)
  | 'STORE_FAILED' // a durable write to the outbox failed; the message was not queued (cause: the error)
  | 'BAD_CREDENTIALS' // a signed mqtt-credentials command whose args are not {url?, username, password}; nothing changed
  | 'CLOSED'; // publishing on a client that is not started, or after stop

export const TELEMETRY_ERROR_CODES: readonly TelemetryErrorCode[] = [
  'BAD_OPTIONS',
  'BAD_STORE',
  'STORE_FAILED',
  'BAD_CREDENTIALS',
  'CLOSED',
];

export class TelemetryError extends AmeError {
  declare readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
