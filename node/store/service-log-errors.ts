/**
 * Typed errors of the service log. Decoders of untrusted bytes (entries, batch records, proofs) throw nothing
 * else, so an auditor can map any failure to an answer by its code alone. To be folded into node/store/errors.ts.
 */
import { AmeError } from '../crypto/errors.ts';

export type ServiceLogErrorCode =
  | 'BAD_ENTRY' // an entry (or batch record) that breaks the field rules, or bytes that are not its encoding
  | 'BAD_PROOF' // proof bytes that are not a well-formed proof encoding
  | 'NOT_FOUND' // a sequence number or batch index that was never written
  | 'UNSEALED' // an entry not yet in a sealed batch, so it has no Merkle proof yet (seal() first)
  | 'PRUNED' // an entry removed by retention; its batch record is still there
  | 'CORRUPT' // stored rows that contradict each other (run verify() for the full report)
  | 'CLOSED'; // the log was closed

export const SERVICE_LOG_ERROR_CODES: readonly ServiceLogErrorCode[] = [
  'BAD_ENTRY',
  'BAD_PROOF',
  'NOT_FOUND',
  'UNSEALED',
  'PRUNED',
  'CORRUPT',
  'CLOSED',
];

export class ServiceLogError extends AmeError {
  declare readonly code: ServiceLogErrorCode;

  constructor(code: ServiceLogErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
