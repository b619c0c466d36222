/**
 * What a replica stores under a key: a content-addressed value (immutable, key = SHA-256(value)), an owned
 * record (key = H(owner ‖ name), signed, the higher sequence wins) — the two key kinds of SPEC.md §5 — or a
 * checked value, whose key rule belongs to a layer above the ring (blob parts under keys derived from the blob
 * address): the ring only knows the scheme's name and asks the checker the composition root injected for it.
 * Every replica checks a value itself before storing it; it trusts neither the client nor the coordinator.
 *
 *   { kind: 'content', data: value } | { kind: 'owned', data: owned-record bytes (records.ts) }
 *   | { kind: 'checked', scheme: name, data: value }
 */
import { encodeCbor, s } from '../../wire/index.ts';
import { decodeWith } from '../codec.ts';
import { RingError } from '../errors.ts';
import { assertKey, type Key } from '../keyspace.ts';
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
  | { readonly kind: 'owned'; readonly record: OwnedRecord }
  | { readonly kind: 'checked'; readonly scheme: string; readonly data: Uint8Array };

/** Decides whether `data` may stand under `key`; throws (anything) when it may not. */
export type ValueChecker = (key: Key, data: Uint8Array) => void;

/** The checked-value schemes a server accepts, by name. A scheme not named here is refused (UNSUPPORTED). */
export type ValueSchemes = Readonly<Record<string, ValueChecker>>;

export const MAX_RING_VALUE_SIZE = MAX_VALUE_SIZE + 8192;
/** A checked value's data: room for a payload of MAX_VALUE_SIZE and its proof, inside MAX_RING_VALUE_SIZE. */
export const MAX_CHECKED_SIZE = MAX_VALUE_SIZE + 4096;
export const MAX_SCHEME_LENGTH = 32;
const SCHEME_PATTERN = /^[a-z0-9-]{1,32}$/;

// `scheme` is optional so content and owned values encode exactly as before the checked kind existed.
const schema = s.struct({
  kind: s.text({ max: 16 }),
  scheme: s.optional(s.text({ max: MAX_SCHEME_LENGTH })),
  data: s.bytes({ max: MAX_RING_VALUE_SIZE }),
});

function checkSchemeName(scheme: string): void {
  if (!SCHEME_PATTERN.test(scheme)) {
    throw new RingError('MALFORMED', `value: scheme "${scheme}" is not 1…${MAX_SCHEME_LENGTH} of [a-z0-9-]`);
  }
}

export function encodeRingValue(value: RingValue): Uint8Array {
  switch (value.kind) {
    case 'content':
      return encodeCbor({ kind: 'content', data: value.data });
    case 'owned':
      return encodeCbor({ kind: 'owned', data: encodeOwnedRecord(value.record) });
    case 'checked':
      // Refused here rather than by every replica after a round trip.
      checkSchemeName(value.scheme);
      return encodeCbor({ kind: 'checked', scheme: value.scheme, data: value.data });
  }
}

/** The shape only (MALFORMED otherwise): no hash, signature or scheme check — see checkRingValue. */
export function peekRingValue(bytes: Uint8Array): RingValue {
  const raw = decodeWith(bytes, schema, 'value', MAX_RING_VALUE_SIZE + 64);
  if (raw.kind === 'checked') {
    if (raw.scheme === undefined) throw new RingError('MALFORMED', 'value: a checked value without a scheme');
    checkSchemeName(raw.scheme);
    return { kind: 'checked', scheme: raw.scheme, data: raw.data };
  }
  // One value, one encoding: a scheme on another kind would be a second spelling of the same value.
  if (raw.scheme !== undefined) throw new RingError('MALFORMED', `value: a scheme on a ${raw.kind} value`);
  if (raw.kind === 'content') return { kind: 'content', data: raw.data };
  if (raw.kind === 'owned') return { kind: 'owned', record: decodeOwnedRecord(raw.data) };
  throw new RingError('MALFORMED', `value: unknown kind "${raw.kind}"`);
}

function checkChecked(key: Key, scheme: string, data: Uint8Array, schemes: ValueSchemes): void {
  assertKey(key);
  // A checked value carries its own proof beside the payload (a blob chunk part: a 1 MiB chunk and its Merkle path).
  if (data.length > MAX_CHECKED_SIZE) throw new RingError('TOO_LARGE', `value of ${data.length} bytes exceeds ${MAX_CHECKED_SIZE}`);
  // hasOwn: a scheme named like an Object.prototype member ("constructor") must not find a function there.
  const checker = Object.hasOwn(schemes, scheme) ? schemes[scheme] : undefined;
  if (checker === undefined) throw new RingError('UNSUPPORTED', `value: scheme "${scheme}" is not accepted here`);
  try {
    checker(key, data);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new RingError('BAD_VALUE', `value: scheme "${scheme}" refuses it: ${why}`, { cause: error });
  }
}

/**
 * Whether `value` may stand under `key`: KEY_MISMATCH, BAD_SIGNATURE, BAD_OWNER, TOO_LARGE otherwise; for a
 * checked value UNSUPPORTED (scheme not in `schemes`) or BAD_VALUE (its checker refuses it).
 */
export function checkRingValue(key: Key, value: RingValue, schemes: ValueSchemes = {}): RingValue {
  if (value.kind === 'content') checkContentPut(key, value.data);
  else if (value.kind === 'owned') verifyOwnedRecord(value.record, key);
  else checkChecked(key, value.scheme, value.data, schemes);
  return value;
}

/** Decodes and checks a value stored or to be stored under `key`: MALFORMED, KEY_MISMATCH, BAD_SIGNATURE, … */
export function decodeRingValue(key: Key, bytes: Uint8Array, schemes: ValueSchemes = {}): RingValue {
  return checkRingValue(key, peekRingValue(bytes), schemes);
}

/** The value's version for the read rule (highest wins): an owned record's sequence; content and checked never change. */
export function versionOf(value: RingValue): number {
  return value.kind === 'owned' ? value.record.seq : 0;
}

/**
 * Whether `incoming` replaces `held`: true for an owned record with a higher sequence, false for the same value
 * again or an older record. Two different records with one sequence number throw CONFLICT (records.ts). Two
 * checked values never replace each other: a key names one part, so the first stored stands.
 */
export function replaces(incoming: RingValue, held: RingValue): boolean {
  if (incoming.kind === 'owned' && held.kind === 'owned') return supersedes(incoming.record, held.record);
  if (incoming.kind !== held.kind) throw new RingError('KEY_MISMATCH', `a ${incoming.kind} value and a ${held.kind} value under one key`);
  return false;
}
