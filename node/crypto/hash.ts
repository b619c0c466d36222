/**
 * Hashes and byte helpers shared by the crypto layer. SHA-256 and HKDF come from node:crypto (native, fast);
 * RIPEMD-160 comes from @noble/hashes because OpenSSL 3 only ships it in some builds' default provider.
 */
import { createHash, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { CryptoError } from './errors.ts';

export const SHA256_LENGTH = 32;

/** Injected randomness (node:crypto's randomBytes by default), so tests and simulators are deterministic. */
export type RandomSource = (length: number) => Uint8Array;
export const HASH160_LENGTH = 20;

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** SHA-256 applied twice: the Base58Check checksum function. */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** RIPEMD160(SHA256(data)): the 20-byte key hash inside every address. */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/**
 * HKDF-SHA-256 (RFC 5869). An empty salt means HashLen zero bytes, as the RFC specifies; that is fine whenever
 * the input key material is already uniformly random. node:crypto caps `info` at 1024 bytes, so callers with
 * long context hash it first.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  const infoBytes = typeof info === 'string' ? utf8(info) : info;
  return new Uint8Array(hkdfSync('sha256', ikm, salt, infoBytes, length));
}

/** An unsigned integer below 2^64 as 8 big-endian bytes (the fixed-width field of signed byte strings). */
export function u64be(n: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A domain-separated message: ASCII tag ‖ 0x00 ‖ body, so no tag can be a prefix of another tag's message. */
export function domainSeparated(tag: string, ...body: readonly Uint8Array[]): Uint8Array {
  return concatBytes(utf8(tag), new Uint8Array([0]), ...body);
}

/** Equality in time independent of where the inputs differ (the length itself is not secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Strict hex decoding: even length, hex digits only (no 0x prefix, no whitespace). Buffer.from(…, 'hex') would
 * silently stop at the first bad character, which turns a typo into a shorter key.
 * @param what names the field in the error message, e.g. 'public key'.
 * @param length the exact number of bytes expected, if any.
 */
export function fromHex(text: string, what = 'hex string', length?: number): Uint8Array {
  if (typeof text !== 'string') throw new CryptoError('BAD_ENCODING', `${what} must be a hex string`);
  if (text.length % 2 !== 0) throw new CryptoError('BAD_ENCODING', `${what} has an odd number of hex digits`);
  if (!HEX.test(text)) throw new CryptoError('BAD_ENCODING', `${what} contains a character that is not a hex digit`);
  if (length !== undefined && text.length !== length * 2) {
    throw new CryptoError('BAD_ENCODING', `${what} must be ${length} bytes, got ${text.length / 2}`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}
