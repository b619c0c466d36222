/**
 * Canonical CBOR for blob structures with BlobError as the only failure: the wire layer's errors are wrapped
 * (TOO_LARGE stays TOO_LARGE, everything else is MALFORMED) with the WireError kept as the cause.
 */
import { decodeCbor, encodeCbor, WireError, type CborValue, type Schema } from '../../wire/index.ts';
import { BlobError } from './errors.ts';

function fromWire(error: unknown, what: string): BlobError {
  if (error instanceof BlobError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof WireError && error.code === 'TOO_LARGE' ? 'TOO_LARGE' : 'MALFORMED';
  return new BlobError(code, `${what}: ${message}`, { cause: error });
}

/** Untrusted bytes → a value of `schema`; MALFORMED or TOO_LARGE only. */
export function decodeCanonical<T>(bytes: Uint8Array, maxSize: number, schema: Schema<T>, what: string): T {
  try {
    return schema.parse(decodeCbor(bytes, { maxSize }), what);
  } catch (error) {
    throw fromWire(error, what);
  }
}

export function encodeCanonical(value: CborValue, what: string): Uint8Array {
  try {
    return encodeCbor(value);
  } catch (error) {
    throw fromWire(error, what);
  }
}
