/**
 * Typed errors of the rollout engine. The engine does no I/O, so every error is about its input: a plan it cannot
 * run, a report it cannot place, a transition its state does not allow, or a saved snapshot it cannot trust. The
 * controller maps the code to an API answer and keeps running; a device's bad report never stops a rollout.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type RolloutErrorCode =
  | 'BAD_PLAN' // a plan field out of range or inconsistent (names the field)
  | 'BAD_INPUT' // a device list, time or status the engine cannot use (names what is wrong)
  | 'UNKNOWN_DEVICE' // a report about a device that is not part of this rollout
  | 'BAD_STATE' // a transition the rollout's state does not allow (resume when running, abort when done, …)
  | 'BAD_SNAPSHOT'; // a saved engine state that does not parse as one this build wrote

export const ROLLOUT_ERROR_CODES: readonly RolloutErrorCode[] = [
  'BAD_PLAN',
  'BAD_INPUT',
  'UNKNOWN_DEVICE',
  'BAD_STATE',
  'BAD_SNAPSHOT',
];

export class RolloutError extends AmeError {
  declare readonly code: RolloutErrorCode;

  constructor(code: RolloutErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
