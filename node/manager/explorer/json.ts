/**
 * The explorer's JSON conventions (docs/explorer.md): bigints are decimal strings, bytes are lowercase hex, and
 * what a request carries is parsed strictly into typed values or an ExplorerError with a stable code.
 */
import { fromHex, toHex } from '../../crypto/index.ts';
import { ExplorerError } from './errors.ts';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

const U64_MAX = (1n << 64n) - 1n;

/** Any value of the ledger's records, transactions and blocks as JSON: bigint → "123", bytes → "ab01…". */
export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}

/** A decimal u64 ("0" … "18446744073709551615", no sign, no leading zeros beyond "0"). */
export function parseHeight(text: string | null | undefined, what = 'height'): bigint {
  if (text === null || text === undefined || !/^(0|[1-9]\d{0,19})$/.test(text)) {
    throw new ExplorerError('BAD_HEIGHT', `${what} must be a decimal integer, got ${JSON.stringify(shorten(text ?? ''))}`);
  }
  const value = BigInt(text);
  if (value > U64_MAX) throw new ExplorerError('BAD_HEIGHT', `${what} is larger than a u64`);
  return value;
}

export function optionalHeight(text: string | null, what: string): bigint | undefined {
  return text === null ? undefined : parseHeight(text, what);
}

/** A 32-byte hash as 64 hex digits (either case). */
export function parseHash(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ExplorerError('BAD_HASH', `a hash is 64 hex digits, got ${JSON.stringify(shorten(text))}`);
  return fromHex(text.toLowerCase());
}

/** Hex text (optionally "0x", surrounding whitespace ignored) into bytes. */
export function parseHexBody(text: string): Uint8Array {
  const trimmed = text.trim().replace(/^0x/i, '');
  if (trimmed === '') throw new ExplorerError('BAD_REQUEST', 'the body is empty');
  if (trimmed.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(trimmed)) {
    throw new ExplorerError('BAD_HEX', 'the body is not an even number of hex digits');
  }
  return fromHex(trimmed.toLowerCase());
}

export function shorten(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
