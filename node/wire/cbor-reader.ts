/**
 * A strict CBOR reader for AME's profile. It is written for this job rather than taken from cborg because it has
 * to tell apart bytes that are not CBOR at all (MALFORMED) from CBOR that breaks the deterministic rules
 * (NON_CANONICAL), check key order (cborg cannot), bound nesting depth and never allocate more than the input
 * can hold. Rules follow RFC 8949: §3 and Appendix C for well-formedness, §4.2.1 for the deterministic encoding.
 * Errors report the first problem in reading order, with its byte offset.
 */
import { WireError } from './errors.ts';
import { MAX_DEPTH, quote, type CborMap, type CborValue } from './cbor-model.ts';

// fatal: invalid UTF-8 is an invalid item, not something to patch with U+FFFD. ignoreBOM: a leading U+FEFF is
// content and must survive the round trip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const MAJOR_NAMES = ['unsigned integer', 'negative integer', 'byte string', 'text string', 'array', 'map'];

/** Reads exactly one canonical item filling all of `bytes`. */
export function readCanonical(bytes: Uint8Array): CborValue {
  const reader = new Reader(bytes);
  if (bytes.length === 0) throw new WireError('MALFORMED', 'empty input: expected one CBOR item');
  const value = reader.item(0);
  if (reader.pos !== bytes.length) {
    throw new WireError(
      'MALFORMED',
      `${bytes.length - reader.pos} trailing byte(s) after the CBOR item, starting at offset ${reader.pos}`,
    );
  }
  return value;
}

class Reader {
  pos = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  item(depth: number): CborValue {
    const start = this.pos;
    const initial = this.#byte(start);
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.#simple(info, start);
    if (major === 6) {
      this.#argument(major, info, start);
      throw new WireError('NON_CANONICAL', `tag at offset ${start}: tags are not allowed`);
    }
    const arg = this.#argument(major, info, start);
    switch (major) {
      case 0:
        return arg;
      case 1:
        return typeof arg === 'number' && arg < Number.MAX_SAFE_INTEGER ? -1 - arg : -1n - BigInt(arg);
      case 2:
        // A copy, and a plain Uint8Array even when the input is a Buffer (whose slice() would share memory).
        return new Uint8Array(this.#slice(this.#length(arg, 1, major, start), start));
      case 3:
        return this.#text(this.#length(arg, 1, major, start), start);
      case 4:
        return this.#array(this.#length(arg, 1, major, start), depth, start);
      default:
        return this.#map(this.#length(arg, 2, major, start), depth, start);
    }
  }

  /** The head's argument (RFC 8949 §3.1), checked to be in its shortest form. */
  #argument(major: number, info: number, start: number): number | bigint {
    if (info < 24) return info;
    let value: number | bigint;
    let min: number;
    switch (info) {
      case 24:
        value = this.#byte(start);
        min = 24;
        break;
      case 25:
        value = this.#view.getUint16(this.#advance(2, start));
        min = 0x100;
        break;
      case 26:
        value = this.#view.getUint32(this.#advance(4, start));
        min = 0x1_0000;
        break;
      case 27: {
        const big = this.#view.getBigUint64(this.#advance(8, start));
        value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
        min = 0x1_0000_0000;
        break;
      }
      case 31:
        if (major >= 2 && major <= 5) {
          throw new WireError('NON_CANONICAL', `indefinite-length ${MAJOR_NAMES[major]} at offset ${start}`);
        }
        throw new WireError('MALFORMED', `indefinite length is not valid for major type ${major} at offset ${start}`);
      default:
        throw new WireError('MALFORMED', `reserved additional information ${info} at offset ${start}`);
    }
    if (value < min) {
      const what = major === 6 ? 'tag number' : major <= 1 ? 'integer' : 'length';
      throw new WireError('NON_CANONICAL', `${what} at offset ${start} is not in its shortest form`);
    }
    return value;
  }

  /** A declared element count, rejected before any allocation when the remaining input cannot hold it. */
  #length(arg: number | bigint, minBytesPerElement: number, major: number, start: number): number {
    const remaining = this.#bytes.length - this.pos;
    if (typeof arg === 'bigint' || arg * minBytesPerElement > remaining) {
      throw new WireError(
        'MALFORMED',
        `${MAJOR_NAMES[major]} at offset ${start} declares ${arg} element(s) but only ${remaining} byte(s) remain`,
      );
    }
    return arg;
  }

  #text(length: number, start: number): string {
    const raw = this.#slice(length, start);
    try {
      return utf8.decode(raw);
    } catch {
      throw new WireError('MALFORMED', `text string at offset ${start} is not valid UTF-8`);
    }
  }

  #array(count: number, depth: number, start: number): CborValue[] {
    this.#enter(depth, start);
    const out: CborValue[] = [];
    for (let i = 0; i < count; i++) out.push(this.item(depth + 1));
    return out;
  }

  #map(count: number, depth: number, start: number): CborMap {
    this.#enter(depth, start);
    const out: CborMap = {};
    let previous: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const keyStart = this.pos;
      const key = this.item(depth + 1);
      if (typeof key !== 'string') {
        throw new WireError('NON_CANONICAL', `map key at offset ${keyStart} is not a text string`);
      }
      // §4.2.1: keys sorted by the bytewise order of their deterministic encodings, each key once.
      const encodedKey = this.#bytes.subarray(keyStart, this.pos);
      if (previous !== undefined) {
        const order = Buffer.compare(previous, encodedKey);
        if (order === 0) throw new WireError('NON_CANONICAL', `duplicate map key ${quote(key)} at offset ${keyStart}`);
        if (order > 0) {
          throw new WireError('NON_CANONICAL', `map key ${quote(key)} at offset ${keyStart} is out of bytewise order`);
        }
      }
      previous = encodedKey;
      const value = this.item(depth + 1);
      // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
    }
    return out;
  }

  #simple(info: number, start: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        throw new WireError('NON_CANONICAL', `undefined at offset ${start} is not allowed`);
      case 24: {
        const value = this.#byte(start);
        if (value < 32) {
          throw new WireError('MALFORMED', `simple value ${value} at offset ${start} must use the one-byte form`);
        }
        throw new WireError('NON_CANONICAL', `simple value ${value} at offset ${start} is not allowed`);
      }
      case 25:
      case 26:
      case 27:
        this.#advance(1 << (info - 24), start);
        throw new WireError('NON_CANONICAL', `floating-point number at offset ${start}: floats are not allowed`);
      case 31:
        throw new WireError('MALFORMED', `break at offset ${start} outside an indefinite-length item`);
      default:
        if (info < 20) throw new WireError('NON_CANONICAL', `simple value ${info} at offset ${start} is not allowed`);
        throw new WireError('MALFORMED', `reserved additional information ${info} at offset ${start}`);
    }
  }

  #enter(depth: number, start: number): void {
    if (depth >= MAX_DEPTH) {
      throw new WireError('TOO_LARGE', `item at offset ${start} is nested deeper than ${MAX_DEPTH} arrays/maps`);
    }
  }

  /** Moves past `n` bytes and returns where they start. */
  #advance(n: number, start: number): number {
    const at = this.pos;
    if (at + n > this.#bytes.length) {
      throw new WireError('MALFORMED', `input ends inside the item at offset ${start} (truncated)`);
    }
    this.pos = at + n;
    return at;
  }

  #byte(start: number): number {
    return this.#bytes[this.#advance(1, start)]!;
  }

  #slice(n: number, start: number): Uint8Array {
    const at = this.#advance(n, start);
    return this.#bytes.subarray(at, at + n);
  }
}
