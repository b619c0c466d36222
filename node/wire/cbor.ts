/**
 * Deterministic CBOR (RFC 8949 §4.2.1) for every signed or hashed AME structure: one value, one byte string.
 *
 * Encoding is cborg's with its RFC 8949 options (shortest heads, definite lengths, map keys in bytewise order of
 * their encodings), after a walk that admits only the data model of cbor-model.ts. Decoding is our strict reader,
 * and then the decoded value is encoded again and must give back the input byte for byte: two independent
 * implementations have to agree before a value is accepted, so a leniency in either one cannot slip through.
 */
import { encode, rfc8949EncodeOptions } from 'cborg';
import { bytesEqual } from '../crypto/hash.ts';
import { WireError } from './errors.ts';
import { readCanonical } from './cbor-reader.ts';
import {
  DEFAULT_MAX_SIZE,
  MAX_DEPTH,
  NEGINT64_MIN,
  UINT64_MAX,
  isCborMap,
  kindOf,
  quote,
  type CborValue,
} from './cbor-model.ts';

export interface DecodeCborOptions {
  /** Inputs longer than this are refused before any parsing (TOO_LARGE). Default DEFAULT_MAX_SIZE. */
  readonly maxSize?: number;
}

/** The canonical encoding of `value`; throws WireError UNENCODABLE for anything outside the data model. */
export function encodeCbor(value: CborValue): Uint8Array {
  checkEncodable(value, 'value', 0);
  try {
    const out = encode(value, rfc8949EncodeOptions);
    // cborg hands back a Buffer on Node; a plain view keeps slice() a copy for our callers.
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (cause) {
    throw new WireError('UNENCODABLE', 'cborg refused a value the data model admits', { cause });
  }
}

/**
 * Decodes one canonical item. Throws only WireError: TOO_LARGE, MALFORMED or NON_CANONICAL (see errors.ts).
 */
export function decodeCbor(bytes: Uint8Array, options: DecodeCborOptions = {}): CborValue {
  if (!(bytes instanceof Uint8Array)) throw new WireError('MALFORMED', `expected bytes, got ${kindOf(bytes)}`);
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  // Written so that a NaN limit refuses everything instead of nothing.
  if (!(bytes.length <= maxSize)) {
    throw new WireError('TOO_LARGE', `input of ${bytes.length} bytes exceeds the limit of ${maxSize}`);
  }
  let value: CborValue;
  let again: Uint8Array;
  try {
    value = readCanonical(bytes);
    again = encodeCbor(value);
  } catch (error) {
    if (error instanceof WireError) throw error;
    // Unreachable by design; kept so that a bug here answers one peer with an error instead of crashing the node.
    // The cause is attached, and the fuzz tests fail on any error that carries one.
    throw new WireError('MALFORMED', 'internal decoder failure', { cause: error });
  }
  // Compared natively first (the common case is equal, and inputs carry whole chunks); the offset only on a miss.
  if (!bytesEqual(again, bytes)) {
    throw new WireError('NON_CANONICAL', `input differs from its canonical re-encoding at offset ${firstDifference(again, bytes)}`);
  }
  return value;
}

/** Offset of the first differing byte, or -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function checkEncodable(value: unknown, path: string, depth: number): void {
  switch (typeof value) {
    case 'boolean':
      return;
    case 'string':
      if (!value.isWellFormed()) fail(path, 'text with a lone surrogate has no UTF-8 encoding');
      return;
    case 'number':
      if (!Number.isSafeInteger(value)) {
        fail(path, Number.isInteger(value) ? `${value} is not a safe integer; use a bigint` : 'floats are not allowed');
      }
      return;
    case 'bigint':
      if (value > UINT64_MAX || value < NEGINT64_MIN) fail(path, 'integer outside −2^64 … 2^64−1');
      return;
    case 'object':
      if (value === null || value instanceof Uint8Array) return;
      if (depth >= MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH} arrays/maps (or circular)`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkEncodable(value[i], `${path}[${i}]`, depth + 1);
        return;
      }
      if (isCborMap(value)) {
        if (Object.getOwnPropertySymbols(value).length > 0) fail(path, 'symbol keys are not allowed');
        for (const [key, item] of Object.entries(value)) checkEncodable(item, `${path}[${quote(key)}]`, depth + 1);
        return;
      }
      fail(path, `${value.constructor?.name ?? 'object'} is not in the data model`);
      return;
    case 'undefined':
      fail(path, 'undefined is not allowed (leave the key out instead)');
      return;
    default:
      fail(path, `${typeof value} is not allowed`);
  }
}

function fail(path: string, why: string): never {
  throw new WireError('UNENCODABLE', `${path}: ${why}`);
}
