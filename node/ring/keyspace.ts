/**
 * The 256-bit key space of the Worker Ring (SPEC.md §3, §5): keys are 32-byte big-endian numbers on a circle of
 * 2^256 points. A Unity owns the half-open range from its start to the next Unity's start; the last range wraps
 * past 2^256 − 1 to 0.
 *
 * Comparisons work on the bytes (no allocation: routing compares keys on every hop); arithmetic goes through
 * bigint, which only splits and tests need.
 */
import { RingError } from './errors.ts';

export const KEY_LENGTH = 32;
export const KEY_SPACE = 1n << 256n;

export type Key = Uint8Array;

export const ZERO_KEY: Key = new Uint8Array(KEY_LENGTH);

export function isKey(value: unknown): value is Key {
  return value instanceof Uint8Array && value.length === KEY_LENGTH;
}

/** Throws BAD_KEY unless `value` is 32 bytes; `what` names it in the message. */
export function assertKey(value: unknown, what = 'key'): Key {
  if (!isKey(value)) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new RingError('BAD_KEY', `${what} must be ${KEY_LENGTH} bytes, got ${got}`);
  }
  return value;
}

/** −1, 0 or 1 as a is below, equal to or above b (unsigned big-endian). */
export function compareKeys(a: Key, b: Key): -1 | 0 | 1 {
  for (let i = 0; i < KEY_LENGTH; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function keysEqual(a: Key, b: Key): boolean {
  return compareKeys(a, b) === 0;
}

// Through hex: one native conversion each way instead of 32 bigint shifts (the simulator converts millions).
export function keyToBigInt(key: Key): bigint {
  return BigInt(`0x${keyToHex(key)}`);
}

/** The key of `n` mod 2^256, so ring arithmetic can hand its result straight over. */
export function keyFromBigInt(n: bigint): Key {
  const v = ((n % KEY_SPACE) + KEY_SPACE) % KEY_SPACE;
  return new Uint8Array(Buffer.from(v.toString(16).padStart(2 * KEY_LENGTH, '0'), 'hex'));
}

export function keyToHex(key: Key): string {
  assertKey(key);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

/** Strict: exactly 64 hex digits, nothing else. */
export function keyFromHex(text: string): Key {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new RingError('BAD_KEY', 'a key in hex must be exactly 64 hex digits');
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Clockwise distance from a to b: (b − a) mod 2^256. */
export function ringDistance(a: Key, b: Key): bigint {
  return (((keyToBigInt(b) - keyToBigInt(a)) % KEY_SPACE) + KEY_SPACE) % KEY_SPACE;
}

/**
 * Number of keys in the range [start, end). Equal bounds mean the whole circle: that is the range of a Unity
 * that is alone on the ring, never an empty one.
 */
export function rangeSize(start: Key, end: Key): bigint {
  const d = ringDistance(start, end);
  return d === 0n ? KEY_SPACE : d;
}

/** True when key lies in [start, end) going clockwise (equal bounds: the whole circle). */
export function inRange(key: Key, start: Key, end: Key): boolean {
  const order = compareKeys(start, end);
  if (order === 0) return true;
  if (order < 0) return compareKeys(start, key) <= 0 && compareKeys(key, end) < 0;
  return compareKeys(start, key) <= 0 || compareKeys(key, end) < 0;
}

/**
 * The first key of the upper half of [start, end): start + ⌊size/2⌋. A split gives [start, mid) to the lower
 * Unity and [mid, end) to the upper one; both are non-empty when the range holds at least two keys.
 */
export function midpoint(start: Key, end: Key): Key {
  const size = rangeSize(start, end);
  if (size < 2n) throw new RingError('CANNOT_SPLIT', 'a range of one key cannot be halved');
  return keyFromBigInt(keyToBigInt(start) + size / 2n);
}

/** start + offset, wrapping. */
export function addToKey(start: Key, offset: bigint): Key {
  return keyFromBigInt(keyToBigInt(start) + offset);
}
