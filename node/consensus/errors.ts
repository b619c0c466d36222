/** Typed errors of the consensus layer. Decoders of untrusted messages throw nothing else. */
import { AmeError } from '../crypto/errors.ts';

export type ConsensusErrorCode =
  | 'BAD_MESSAGE' // a message that does not decode or does not match its schema
  | 'BAD_SIGNATURE' // a signature or VRF proof that does not verify
  | 'NOT_MEMBER' // a sender outside the committee of the round it speaks in
  | 'BAD_CERTIFICATE' // a certificate without a quorum of valid, distinct committee signatures
  | 'BAD_CONFIG' // parameters that cannot work (no members, quorum out of range, …)
  | 'SAFETY_VIOLATION'; // the simulator's checker found two honest nodes finalising different values

export class ConsensusError extends AmeError {
  declare readonly code: ConsensusErrorCode;

  constructor(code: ConsensusErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
