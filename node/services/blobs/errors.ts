/**
 * Typed errors of blob storage and storage audits. Decoders of untrusted bytes (manifests, audit challenges and
 * responses) throw nothing but BlobError (a WireError from below is wrapped, with it as the cause), so a caller
 * maps any failure to a protocol answer by its code alone.
 */
import { AmeError } from '../../crypto/errors.ts';

export type BlobErrorCode =
  | 'MALFORMED' // bytes that are not the canonical encoding of what was expected, or a value that breaks its rules
  | 'TOO_LARGE' // an encoding over its size limit, or a blob over the largest blob size
  | 'NOT_FOUND' // a blob, or a chunk of it, that this store does not hold
  | 'HASH_MISMATCH' // a manifest or chunk whose hashes do not lead to the content address it was offered under
  | 'KEY_MISMATCH' // a blob part offered under a ring key other than its own (ring-parts.ts)
  | 'BAD_PROOF' // an audit response that does not prove the challenged segments against the address
  | 'BAD_RANGE' // a byte range or chunk index outside the blob
  | 'QUOTA' // a blob that would take the store past its byte quota
  | 'CORRUPT' // stored bytes that no longer match their hashes, or a stored manifest that no longer decodes
  | 'CLOSED'; // a store used after close()

export const BLOB_ERROR_CODES: readonly BlobErrorCode[] = [
  'MALFORMED',
  'TOO_LARGE',
  'NOT_FOUND',
  'HASH_MISMATCH',
  'KEY_MISMATCH',
  'BAD_PROOF',
  'BAD_RANGE',
  'QUOTA',
  'CORRUPT',
  'CLOSED',
];

export class BlobError extends AmeError {
  declare readonly code: BlobErrorCode;

  constructor(code: BlobErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
