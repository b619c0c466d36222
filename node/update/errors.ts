/**
 * Typed errors of the release format and of the TUF/Uptane checks. Everything the device refuses — metadata, a
 * bundle, a download — is an UpdateError, so the update agent maps one class to a `rolled-back` or `refused` report
 * without knowing which check failed; the code says which, the message names what.
 */
import { AmeError } from '../crypto/index.ts';

export type UpdateErrorCode =
  | 'MALFORMED' // bytes or JSON that do not decode as the document, manifest, state or tar expected
  | 'BAD_SIGNATURE' // too few valid signatures, and a key of the role signed something that does not verify
  | 'THRESHOLD' // fewer valid signatures from the role's keys in the trusted root than its threshold
  | 'ROLLBACK' // a version below the one already trusted (or a root chain that does not go up by one)
  | 'EXPIRED' // metadata at or past its expiry at the trusted time
  | 'MIX_AND_MATCH' // documents that do not belong together (timestamp/snapshot, snapshot/targets disagree)
  | 'NOT_LISTED' // the director names a target the image repository does not list with the same length and hash
  | 'WRONG_DEVICE' // director metadata made for another device
  | 'HASH_MISMATCH' // bytes whose SHA-256 differs from the one signed (download, bundle file)
  | 'TOO_LARGE' // more bytes than signed or allowed (endless data, gzip bomb, oversized file)
  | 'INCOMPLETE' // a download whose source ended before the signed length; the partial file is kept to resume
  | 'BAD_PATH' // a bundle path that is absolute, climbs with `..`, or is not in the portable set
  | 'DUPLICATE_ENTRY' // a bundle path that appears twice
  | 'NOT_IN_MANIFEST' // a bundle entry the manifest does not list, or a listed file the bundle lacks
  | 'UNSUPPORTED_ENTRY' // a symlink, device, fifo or other entry that is not a regular file
  | 'BAD_ARGUMENT'; // a caller's mistake on the publishing side (unknown role, unsatisfiable threshold, bad name)

export const UPDATE_ERROR_CODES: readonly UpdateErrorCode[] = [
  'MALFORMED',
  'BAD_SIGNATURE',
  'THRESHOLD',
  'ROLLBACK',
  'EXPIRED',
  'MIX_AND_MATCH',
  'NOT_LISTED',
  'WRONG_DEVICE',
  'HASH_MISMATCH',
  'TOO_LARGE',
  'INCOMPLETE',
  'BAD_PATH',
  'DUPLICATE_ENTRY',
  'NOT_IN_MANIFEST',
  'UNSUPPORTED_ENTRY',
  'BAD_ARGUMENT',
];

export class UpdateError extends AmeError {
  declare readonly code: UpdateErrorCode;

  constructor(code: UpdateErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
