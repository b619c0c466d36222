/**
 * Typed errors of the role services (messaging, blobs). Decoders of untrusted bytes in node/services throw nothing
 * but ServiceError; a WireError or CryptoError from below is wrapped, with it as the cause.
 */
import { AmeError } from '../crypto/errors.ts';

export type ServiceErrorCode =
  | 'MALFORMED' // bytes that are not the canonical encoding of what was expected, or values that break its rules
  | 'BAD_KEY' // a public key that cannot be used (a low-order X25519 point, a malformed ML-KEM key)
  | 'BAD_SIGNATURE' // an identity, prekey or bundle signature that does not verify, or a bundle of another identity
  | 'DECRYPT_FAILED' // a ciphertext that does not authenticate under the key it should have (tampered, or not ours)
  | 'REPLAY' // a message, or a session start, that was already received
  | 'TOO_MANY_SKIPPED' // a message further ahead of its chain than the bound on kept skipped keys allows
  | 'MAILBOX_FULL' // a deposit that would take an account's mailbox over its message or byte bound
  | 'PREKEYS_FULL' // a prekey upload that would take an account over the one-time prekeys a directory holds
  | 'TOO_LARGE' // an input over its size limit (plaintext, envelope, upload, list page)
  | 'STALE' // a prekey upload whose ids are not newer than ones the directory already held
  | 'NOT_FOUND' // an unknown account, session or prekey id (a one-time prekey already used included)
  | 'HASH_MISMATCH' // an attachment whose bytes do not hash to the value its message names
  | 'CLOSED'; // a store used after close()

export const SERVICE_ERROR_CODES: readonly ServiceErrorCode[] = [
  'MALFORMED',
  'BAD_KEY',
  'BAD_SIGNATURE',
  'DECRYPT_FAILED',
  'REPLAY',
  'TOO_MANY_SKIPPED',
  'MAILBOX_FULL',
  'PREKEYS_FULL',
  'TOO_LARGE',
  'STALE',
  'NOT_FOUND',
  'HASH_MISMATCH',
  'CLOSED',
];

export class ServiceError extends AmeError {
  declare readonly code: ServiceErrorCode;

  constructor(code: ServiceErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
