/**
 * Typed errors of the fleet controller. Callers (an HTTP API, the CLI) map the code to an answer without reading
 * messages; messages name the device, release, rollout or file at fault.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type ControllerErrorCode =
  | 'BAD_INPUT' // an argument the controller cannot act on: names it and why
  | 'BAD_QUERY' // an API query parameter that is unknown, repeated or malformed: names it and what it takes
  | 'NOT_FOUND' // no such release or rollout
  | 'FORBIDDEN' // an API token whose role does not allow the action
  | 'TOO_LARGE' // a request body (a pushed bundle) over its limit
  | 'BAD_STATE' // a state file this build did not write, or a call the current state does not allow
  | 'STORE_FAILED' // SQLite failed underneath (cause: its error)
  | 'PUBLISH_FAILED' // the broker did not take a desired-state publish (cause: mqtt.js's error)
  | 'CONNECT_FAILED' // the controller could not log in to the broker
  | 'NO_ANSWER' // a device did not answer a command in time (offline, or on another broker)
  | 'CLOSED'; // used after stop

export const CONTROLLER_ERROR_CODES: readonly ControllerErrorCode[] = [
  'BAD_INPUT',
  'BAD_QUERY',
  'NOT_FOUND',
  'FORBIDDEN',
  'TOO_LARGE',
  'BAD_STATE',
  'STORE_FAILED',
  'PUBLISH_FAILED',
  'CONNECT_FAILED',
  'NO_ANSWER',
  'CLOSED',
];

export class ControllerError extends AmeError {
  declare readonly code: ControllerErrorCode;

  constructor(code: ControllerErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
