/**
 * Canonical CBOR for the messaging formats, with ServiceError as the only failure: every decoder of bytes that
 * came over the network or from disk goes through `decodeWith`, so a caller can answer any failure by its code.
 */
import { decodeCbor, encodeCbor, type CborValue, type Schema } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Decodes canonical CBOR of at most `maxSize` bytes and checks it against `schema`; MALFORMED otherwise. */
export function decodeWith<T>(bytes: Uint8Array, maxSize: number, schema: Schema<T>, what: string): T {
  if (!(bytes instanceof Uint8Array)) throw new ServiceError('MALFORMED', `${what}: expected bytes`);
  if (bytes.length > maxSize) {
    throw new ServiceError('TOO_LARGE', `${what}: ${bytes.length} bytes exceed the limit of ${maxSize}`);
  }
  try {
    return schema.parse(decodeCbor(bytes, { maxSize }), what);
  } catch (error) {
    throw new ServiceError('MALFORMED', `${what}: ${message(error)}`, { cause: error });
  }
}

/** Canonical encoding of a value our own code built; a failure is a bug of the caller, reported as MALFORMED. */
export function encodeValue(value: unknown, what: string): Uint8Array {
  try {
    return encodeCbor(value as CborValue);
  } catch (error) {
    throw new ServiceError('MALFORMED', `${what}: ${message(error)}`, { cause: error });
  }
}

/** Runs `fn`, turning any error that is not already a ServiceError into `code` (the lower error kept as cause). */
export function wrapLower<T>(code: ServiceError['code'], what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError(code, `${what}: ${message(error)}`, { cause: error });
  }
}
