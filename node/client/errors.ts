/** Typed errors of the client SDK (node/client); a worker's own refusals arrive as WorkerError REFUSED. */
import { AmeError } from '../crypto/index.ts';

export type ClientErrorCode =
  | 'NO_CHANNEL' // a paid request without a channel of the currency it is paid in
  | 'BAD_REPLY' // a worker's answer that does not decode or does not match what was asked
  | 'BAD_STATE' // a file of the client folder that does not hold what this build writes
  | 'WRONG_ACCOUNT' // a client folder used with another account than the one its session key is authorised by
  | 'UNKNOWN_CHANNEL' // a channel id (or prefix) the client folder does not hold, or holds more than once
  | 'NO_INTRODUCTION' // no manager introduced the client, or no index server of the Unity offered a worker
  | 'NO_SESSION'; // a message to a peer with no end-to-end session yet and no prekey bundle to start one

export const CLIENT_ERROR_CODES: readonly ClientErrorCode[] = [
  'NO_CHANNEL',
  'BAD_REPLY',
  'BAD_STATE',
  'WRONG_ACCOUNT',
  'UNKNOWN_CHANNEL',
  'NO_INTRODUCTION',
  'NO_SESSION',
];

export class ClientError extends AmeError {
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
