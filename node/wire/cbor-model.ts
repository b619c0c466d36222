/**
 * The data model of AME's CBOR: the only values the encoder writes and the decoder returns.
 *
 * | CBOR                              | JavaScript                                                    |
 * |-----------------------------------|---------------------------------------------------------------|
 * | unsigned / negative int (maj 0/1) | `number` if Number.isSafeInteger, else `bigint`               |
 * | byte string (major 2)             | `Uint8Array` (a copy, never a view of the input)              |
 * | text string (major 3)             | `string` (valid UTF-8 on the wire, well-formed UTF-16 here)   |
 * | array (major 4)                   | `CborValue[]`                                                 |
 * | map with text keys (major 5)      | plain object (`CborMap`)                                      |
 * | false / true / null               | `false` / `true` / `null`                                     |
 *
 * Integers span −2^64 … 2^64−1. The decoder's choice between number and bigint depends on the value only, so a
 * `bigint` 5n encodes like the `number` 5 and decodes as 5: code that needs one type (amounts are bigint) gets it
 * from a schema (`s.u64()`), never from the decoder. Floats, undefined, tags, other simple values, non-text map
 * keys and indefinite lengths are not in the model: the protocol has no use for them, and each would be a second
 * spelling of something (a float 1.0 for the int 1) or an ambiguity (undefined vs an absent key).
 */

export type CborValue = null | boolean | number | bigint | string | Uint8Array | CborValue[] | CborMap;

export interface CborMap {
  [key: string]: CborValue;
}

/** Default ceiling for a single decoded item: RLDP's default request limit (SPEC §4). */
export const DEFAULT_MAX_SIZE = 4 * 1024 * 1024;

/**
 * At most this many arrays/maps nested inside each other. It bounds the decoder's recursion (a 1 MiB run of 0x81
 * would otherwise overflow the stack) and the encoder enforces the same rule, so every encodable value decodes.
 */
export const MAX_DEPTH = 64;

export const UINT64_MAX = (1n << 64n) - 1n;
export const NEGINT64_MIN = -(1n << 64n);

/** True for a plain object (the map case of the model); arrays, byte strings and class instances are not. */
export function isCborMap(value: unknown): value is CborMap {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short name of a value's kind for error messages ("got text"); never echoes attacker-sized content. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) return 'float';
    return value < 0 ? 'negative integer' : 'integer';
  }
  if (typeof value === 'string') return 'text';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'array';
  if (isCborMap(value)) return 'map';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** A key or text quoted for an error message, cut short so a hostile 1 MiB key cannot bloat logs. */
export function quote(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
