/**
 * Typed errors of the Worker Ring. Decoders of untrusted bytes (maps, slices, records, map updates, bootstrap
 * lists) throw nothing but RingError, so a service can answer a peer by the code alone.
 */
import { AmeError } from '../crypto/errors.ts';

export type RingErrorCode =
  | 'BAD_KEY' // a key that is not 32 bytes (or not 64 hex digits)
  | 'MALFORMED' // bytes that are not the canonical encoding of what was expected (the WireError is the cause)
  | 'BAD_MAP' // a ring map that breaks an invariant: starts, duplicate servers, sizes, parameters
  | 'BAD_SLICE' // a routing slice that does not hold exactly the entries its Unity needs
  | 'UNKNOWN_UNITY' // a Unity index or id the map does not hold
  | 'UNKNOWN_SERVER' // a server id the map does not hold
  | 'DUPLICATE_SERVER' // a server that would be in the map twice
  | 'UNITY_FULL' // a join to a Unity already at the server limit (it must split first)
  | 'LAST_SERVER' // a leave that would leave a Unity without servers (it must merge first)
  | 'CANNOT_SPLIT' // a split of a Unity below the server limit, or of a range of one key
  | 'CANNOT_MERGE' // a merge of the only Unity, or one whose pooled servers would pass the limit
  | 'CANNOT_BORROW' // a borrow the neighbours cannot fill, or that would pass the replica count
  | 'TOO_LARGE' // a value or record over its size limit
  | 'KEY_MISMATCH' // a put whose key is not the hash the key kind prescribes
  | 'BAD_OWNER' // an owned record whose owner is not a valid address, or whose key does not hash to it
  | 'BAD_SIGNATURE' // a record, map certificate or bootstrap list whose signature does not verify
  | 'CONFLICT' // two different owned records with the same sequence number (the owner signed both)
  | 'STALE_RECORD' // a put of an owned record older than the one the replicas hold
  | 'WRONG_KEY' // a certificate, entry or bootstrap list signed by a key other than the ring authority / a manager
  | 'STALE_EPOCH' // a map update or view whose epoch is not greater than the current one
  | 'UNSUPPORTED' // a certificate kind this node is not configured to accept
  | 'NO_QUORUM' // a managers certificate signed by fewer than ⌊2n/3⌋ + 1 distinct managers of the set
  | 'DUPLICATE_SIGNER' // a managers certificate naming one manager twice
  | 'BAD_MANAGER_SET' // a configured manager set that is empty, too large, repeats a key or holds a non-key
  | 'BAD_VALUE'; // a checked value its scheme's checker refuses (the checker's error is the cause)

export const RING_ERROR_CODES: readonly RingErrorCode[] = [
  'BAD_KEY',
  'MALFORMED',
  'BAD_MAP',
  'BAD_SLICE',
  'UNKNOWN_UNITY',
  'UNKNOWN_SERVER',
  'DUPLICATE_SERVER',
  'UNITY_FULL',
  'LAST_SERVER',
  'CANNOT_SPLIT',
  'CANNOT_MERGE',
  'CANNOT_BORROW',
  'TOO_LARGE',
  'KEY_MISMATCH',
  'BAD_OWNER',
  'BAD_SIGNATURE',
  'CONFLICT',
  'STALE_RECORD',
  'WRONG_KEY',
  'STALE_EPOCH',
  'UNSUPPORTED',
  'NO_QUORUM',
  'DUPLICATE_SIGNER',
  'BAD_MANAGER_SET',
  'BAD_VALUE',
];

export class RingError extends AmeError {
  declare readonly code: RingErrorCode;

  constructor(code: RingErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
