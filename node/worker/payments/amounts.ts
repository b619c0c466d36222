/**
 * Value checks shared by both sides of a channel. Amounts and nonces travel as u64 in receipts; anything outside
 * that range would only fail later, at the payee or on the ledger, after durable state already moved.
 */
import { sha256, toHex } from '../../crypto/index.ts';
import { WorkerError } from '../errors.ts';

export const MAX_U64 = (1n << 64n) - 1n;
/** The first nonce a spender signs: 0 is left unused so "no receipt yet" never equals a real nonce. */
export const FIRST_NONCE = 1n;

export function checkU64(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) {
    throw new WorkerError('BAD_VALUE', 'must be a bigint in 0..2^64-1', { field });
  }
  return value;
}

export function checkScore(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new WorkerError('BAD_VALUE', 'a score is an integer in 0..100', { field });
  }
  return value;
}

/** The hash a service-log entry names as the receipt that paid for it (SPEC §6 item 3). */
export function receiptHash(receipt: Uint8Array): Uint8Array {
  return sha256(receipt);
}

/** Map key of a channel or payee id. */
export const keyOf = (bytes: Uint8Array): string => toHex(bytes);

export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
