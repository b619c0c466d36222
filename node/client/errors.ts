/** Typed errors of the client SDK (node/client); a worker's own refusals arrive as WorkerError REFUSED. */
import { AmeError } from '../crypto/index.ts';

export type ClientErrorCode =
  | 'NO_CHANNEL' // a paid request without a channel of the currency it is paid in
  | 'BAD_REPLY'; // a worker's answer that does not decode or does not match what was asked

export const CLIENT_ERROR_CODES: readonly ClientErrorCode[] = ['NO_CHANNEL', 'BAD_REPLY'];

export class ClientError extends AmeError {
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
