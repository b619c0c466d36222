/**
 * What a replica stores under a key: a content-addressed value (immutable, key = SHA-256(value)) or an owned
 * record (key = H(owner ‖ name), signed, the higher sequence wins) — the two key kinds of SPEC.md §5. Every
 * replica checks a value itself before storing it; it trusts neither the client nor the coordinator.
 *
 *   { kind: 'content', data: value } | { kind: 'owned', data: owned-record bytes (records.ts) }
 */
import { encodeCbor, s } from '../../wire/index.ts';
import { decodeWith } from '../codec.ts';
import { RingError } from '../errors.ts';
import type { Key } from '../keyspace.ts';
import {
  checkContentPut,
  decodeOwnedRecord,
  encodeOwnedRecord,
  MAX_VALUE_SIZE,
  supersedes,
  verifyOwnedRecord,
  type OwnedRecord,
} from '../records.ts';

export type RingValue =
  | { readonly kind: 'content'; readonly data: Uint8Array }
  | { readonly kind: 'owned'; readonly record: OwnedRecord };

export const MAX_RING_VALUE_SIZE = MAX_VALUE_SIZE + 8192;

const schema = s.struct({ kind: s.text({ max: 16 }), data: s.bytes({ max: MAX_RING_VALUE_SIZE }) });

export function encodeRingValue(value: RingValue): Uint8Array {
  return value.kind === 'content'
    ? encodeCbor({ kind: 'content', data: value.data })
    : encodeCbor({ kind: 'owned', data: encodeOwnedRecord(value.record) });
}

/** The shape only (MALFORMED otherwise): no hash or signature check — see checkRingValue. */
export function peekRingValue(bytes: Uint8Array): RingValue {
  const raw = decodeWith(bytes, schema, 'value', MAX_RING_VALUE_SIZE + 64);
  if (raw.kind === 'content') return { kind: 'content', data: raw.data };
  if (raw.kind === 'owned') return { kind: 'owned', record: decodeOwnedRecord(raw.data) };
  throw new RingError('MALFORMED', `value: unknown kind "${raw.kind}"`);
}

/** Whether `value` may stand under `key`: KEY_MISMATCH, BAD_SIGNATURE, BAD_OWNER, TOO_LARGE otherwise. */
export function checkRingValue(key: Key, value: RingValue): RingValue {
  if (value.kind === 'content') checkContentPut(key, value.data);
  else verifyOwnedRecord(value.record, key);
  return value;
}

/** Decodes and checks a value stored or to be stored under `key`: MALFORMED, KEY_MISMATCH, BAD_SIGNATURE, … */
export function decodeRingValue(key: Key, bytes: Uint8Array): RingValue {
  return checkRingValue(key, peekRingValue(bytes));
}

/** The value's version for the read rule (highest wins): an owned record's sequence; content never changes. */
export function versionOf(value: RingValue): number {
  return value.kind === 'owned' ? value.record.seq : 0;
}

/**
 * Whether `incoming` replaces `held`: true for an owned record with a higher sequence, false for the same value
 * again or an older record. Two different records with one sequence number throw CONFLICT (records.ts).
 */
export function replaces(incoming: RingValue, held: RingValue): boolean {
  if (incoming.kind === 'owned' && held.kind === 'owned') return supersedes(incoming.record, held.record);
  if (incoming.kind !== held.kind) throw new RingError('KEY_MISMATCH', 'a content value and a record under one key');
  return false;
}
