/**
 * Typed errors of rack provisioning (fleet/rack): a hosts list the rack cannot use, an existing rack a join cannot
 * use, an executor that failed on a host, a Unity that did not become healthy in time, an upgrade step that would leave fewer servers than a quorum.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type RackErrorCode =
  | 'BAD_HOSTS' // not six hosts, a duplicate name or address, a name or address the rack cannot use
  | 'BAD_RECORD' // DIR/rack.json missing, unreadable or not a rack this version wrote
  | 'ALREADY_PROVISIONED' // DIR already holds a rack (its secrets would be overwritten)
  | 'BAD_JOIN' // the existing rack's folder of a join: no rack.json or genesis, another chain's genesis, too few governance keys
  | 'EXECUTOR_FAILED' // writing a file or starting, signalling or probing a process on a host failed (cause attached)
  | 'NOT_HEALTHY' // the Unity did not finalise blocks, or a server did not catch up, within the time allowed
  | 'QUORUM_AT_RISK'; // stopping a server now would leave fewer than a quorum of healthy, caught-up servers

export const RACK_ERROR_CODES: readonly RackErrorCode[] = ['BAD_HOSTS', 'BAD_RECORD', 'ALREADY_PROVISIONED', 'BAD_JOIN', 'EXECUTOR_FAILED', 'NOT_HEALTHY', 'QUORUM_AT_RISK'];

export class RackError extends AmeError {
  declare readonly code: RackErrorCode;

  constructor(code: RackErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
