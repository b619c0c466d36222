/**
 * Typed errors of the device's update agent. What the repository or the metadata get wrong is node/update's
 * UpdateError (its code goes into the `failed` report as it is); these are the agent's own: its files, the update
 * lock, and the health judgement that sends a device back to its previous slot.
 */
import { AmeError } from '../../node/crypto/index.ts';

export type UpdateAgentErrorCode =
  | 'BAD_STATE' // state.json, trust.json or lock.json that exists but does not read back as the agent wrote it
  | 'BAD_LOCK' // a lock asked for with an empty holder, an over-long reason or an expiry not in the future
  | 'LOCKED' // an update lock another holder has and that has not expired
  | 'UNHEALTHY' // a health check of the judgement window failed (or threw): the trial is rolled back
  | 'CRASH_LOOP' // the new version started bootsAllowed times without finishing its judgement: rolled back
  | 'INSTALL_FAILED' // the verified bundle could not be written into its slot (disk full, permissions)
  | 'NOT_STARTED' // the agent used before start() or after stop()
  | 'NO_ROOTS' // no trusted root documents (none shipped, no trust.json yet): offers are refused, trials still judged
  | 'BAD_ROOTS'; // the shipped root documents do not read, decode or verify: offers are refused likewise

export const UPDATE_AGENT_ERROR_CODES: readonly UpdateAgentErrorCode[] = [
  'BAD_STATE',
  'BAD_LOCK',
  'LOCKED',
  'UNHEALTHY',
  'CRASH_LOOP',
  'INSTALL_FAILED',
  'NOT_STARTED',
  'NO_ROOTS',
  'BAD_ROOTS',
];

export class UpdateAgentError extends AmeError {
  declare readonly code: UpdateAgentErrorCode;

  constructor(code: UpdateAgentErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
