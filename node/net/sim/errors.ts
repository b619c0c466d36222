/**
 * Errors of the simulator itself — misuse of the harness, not network conditions (those are NetError, exactly
 * as on a real host).
 */
import { AmeError } from '../../crypto/errors.ts';

export type SimErrorCode =
  | 'BAD_ARGUMENT' // a time, probability, size or seed the simulator cannot use
  | 'BUSY' // a run that did not go idle within its event budget (a livelock, or periodic timers: use runUntil)
  | 'UNKNOWN_PEER' // a peer id the network does not hold
  | 'DUPLICATE_PEER' // a peer id added twice
  | 'DUPLICATE_HANDLER'; // a second handler for one method or datagram topic

export class SimError extends AmeError {
  declare readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
