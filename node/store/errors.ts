/**
 * Typed errors of the authenticated store. Every failure a caller can act on has a stable code; decoders of
 * untrusted bytes (proofs) throw nothing but StoreError, so a light client can map any failure by its code.
 */
import { AmeError } from '../crypto/errors.ts';

export type StoreErrorCode =
  | 'CONFLICT' // a write whose baseVersion no longer matches the key's last change (the whole batch is refused)
  | 'BAD_KEY' // a key that is not exactly 32 bytes
  | 'BAD_REQUEST' // a malformed call: bad version number, a key twice in one batch, delete with baseVersion 0
  | 'TOO_LARGE' // a value over maxValueSize
  | 'NOT_FOUND' // a version that never existed or belonged to a dropped branch
  | 'PRUNED' // a version below the GC horizon
  | 'BAD_PROOF' // proof bytes that are malformed, or a proof that does not match the root
  | 'CORRUPT' // stored rows that contradict each other (verify() reports every problem with its table and row)
  | 'CLOSED' // the store was closed, or the branch was merged or dropped
  | 'STALE_BRANCH'; // a branch whose base is no longer main's head: it can only be read or dropped

export const STORE_ERROR_CODES: readonly StoreErrorCode[] = [
  'CONFLICT',
  'BAD_KEY',
  'BAD_REQUEST',
  'TOO_LARGE',
  'NOT_FOUND',
  'PRUNED',
  'BAD_PROOF',
  'CORRUPT',
  'CLOSED',
  'STALE_BRANCH',
];

/** One refused write of a batch: the key, the baseVersion the writer gave, and the key's actual last change. */
export interface ConflictDetail {
  key: Uint8Array;
  baseVersion: number;
  /** The version of the key's last change on this line, or 0 when it is absent. */
  currentVersion: number;
}

export class StoreError extends AmeError {
  declare readonly code: StoreErrorCode;
  /** For CONFLICT: every write of the batch that failed its check. */
  readonly conflicts: readonly ConflictDetail[];

  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions & { conflicts?: ConflictDetail[] }) {
    super(code, message, options);
    this.conflicts = options?.conflicts ?? [];
  }
}
