/**
 * Fixed-layout binary helpers shared by the service-log encodings (entry, batch record, proof). Integers are
 * big-endian u64 limited to 2^53 − 1, so they round-trip through a JavaScript number; the decoder refuses larger
 * values instead of rounding them, which keeps every accepted input's re-encoding byte-identical.
 */
import { hash } from 'node:crypto';
import { ServiceLogError, type ServiceLogErrorCode } from './service-log-errors.ts';

const TWO_32 = 0x1_0000_0000;
/** The high word of 2^53 − 1: any larger high word would not survive a JavaScript number. */
const MAX_SAFE_HIGH = 0x1f_ffff;

export const HASH_LENGTH = 32;
export const ZERO_HASH: Uint8Array = new Uint8Array(HASH_LENGTH);

export function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isBytes(value: unknown, min: number, max: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length >= min && value.length <= max;
}

export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / TWO_32));
  view.setUint32(offset + 4, value >>> 0);
}

/** A plain Uint8Array over the same memory: Buffers from SQLite and node:crypto compare unequal to Uint8Arrays. */
export function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * SHA-256 over the concatenation of the parts. Copying into one pooled buffer and hashing it in one shot is
 * about a fifth faster than a createHash object per hash, and these hashes are most of an append's cost.
 */
export function hashParts(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return plain(hash('sha256', joined, 'buffer'));
}

/** Reads one encoding front to back; every failure is a ServiceLogError with the reader's code and field name. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #code: ServiceLogErrorCode;
  readonly #what: string;
  #offset = 0;

  constructor(bytes: Uint8Array, code: ServiceLogErrorCode, what: string) {
    if (!(bytes instanceof Uint8Array)) throw new ServiceLogError(code, `${what} must be a Uint8Array`);
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#code = code;
    this.#what = what;
  }

  fail(message: string): never {
    throw new ServiceLogError(this.#code, `${this.#what}: ${message}`);
  }

  #need(length: number, field: string): number {
    const at = this.#offset;
    if (this.#bytes.length - at < length) this.fail(`truncated in ${field}`);
    this.#offset = at + length;
    return at;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#need(1, field));
  }

  u16(field: string): number {
    return this.#view.getUint16(this.#need(2, field));
  }

  u64(field: string): number {
    const at = this.#need(8, field);
    const high = this.#view.getUint32(at);
    if (high > MAX_SAFE_HIGH) this.fail(`${field} exceeds 2^53 - 1`);
    return high * TWO_32 + this.#view.getUint32(at + 4);
  }

  /** A copy, so a decoded value never aliases the caller's buffer. */
  fixed(length: number, field: string): Uint8Array {
    const at = this.#need(length, field);
    // Not slice(): on a Buffer (SQLite rows are Buffers) slice() is a view, not a copy.
    return new Uint8Array(this.#bytes.subarray(at, at + length));
  }

  /** One length byte, then that many bytes; the length must lie in [min, max]. */
  var8(field: string, min: number, max: number): Uint8Array {
    const length = this.u8(field);
    if (length < min || length > max) this.fail(`${field} length ${length} is outside ${min}..${max}`);
    return this.fixed(length, field);
  }

  get offset(): number {
    return this.#offset;
  }

  end(): void {
    if (this.#offset !== this.#bytes.length) this.fail(`${this.#bytes.length - this.#offset} trailing bytes`);
  }
}
