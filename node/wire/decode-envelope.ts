/**
 * Decoding untrusted envelope bytes. The checks run cheapest first, so a hostile peer cannot make a node parse an
 * oversize input or verify a signature over garbage:
 *
 *   size (TOO_LARGE) → canonical CBOR (MALFORMED / NON_CANONICAL) → type (UNKNOWN_TYPE) → version
 *   (UNSUPPORTED_VERSION) → the type's own size limit (TOO_LARGE) → fields and body (SCHEMA) → signature
 *   (BAD_SIGNATURE)
 *
 * Every failure is a WireError; nothing else escapes.
 */
import { WireError } from './errors.ts';
import { decodeCbor } from './cbor.ts';
import { isCborMap, kindOf, quote } from './cbor-model.ts';
import { MAX_TYPE_NAME_LENGTH } from './envelope.ts';
import type { AnyMessageType, EnvelopeOf } from './message-type.ts';
import type { Registry } from './registry.ts';
import { schemaError } from './schema.ts';

export interface DecodeEnvelopeOptions {
  /** A limit below the registry's (e.g. 1 KiB for ARNL datagrams); the per-type limits still apply. */
  readonly maxSize?: number;
}

export function decodeEnvelope<M extends AnyMessageType>(
  registry: Registry<M>,
  bytes: Uint8Array,
  options: DecodeEnvelopeOptions = {},
): EnvelopeOf<M> {
  if (!(bytes instanceof Uint8Array)) throw new WireError('MALFORMED', `expected bytes, got ${kindOf(bytes)}`);
  const limit = Math.min(options.maxSize ?? registry.maxSize, registry.maxSize);
  // Written so that a NaN limit refuses everything instead of nothing.
  if (!(bytes.length <= limit)) {
    throw new WireError('TOO_LARGE', `envelope of ${bytes.length} bytes exceeds the limit of ${limit}`);
  }
  const value = decodeCbor(bytes, { maxSize: limit });
  if (!isCborMap(value)) throw schemaError('envelope', `expected map, got ${kindOf(value)}`);

  const { type, v } = value;
  if (typeof type !== 'string') throw schemaError('type', `expected text, got ${kindOf(type)}`);
  if (!registry.has(type)) {
    const shown = quote(type, MAX_TYPE_NAME_LENGTH);
    throw new WireError('UNKNOWN_TYPE', `unknown message type ${shown}`);
  }
  if (!((typeof v === 'number' && v >= 0) || (typeof v === 'bigint' && v >= 0n))) {
    throw schemaError('v', `expected unsigned integer, got ${kindOf(v)}`);
  }
  const definition = typeof v === 'number' ? registry.get(type, v) : undefined;
  if (definition === undefined) {
    const known = registry.versions(type).join(', ');
    throw new WireError('UNSUPPORTED_VERSION', `message type ${type} v${v} is not supported (known: ${known})`);
  }
  if (bytes.length > definition.maxSize) {
    throw new WireError(
      'TOO_LARGE',
      `${type} envelope of ${bytes.length} bytes exceeds its limit of ${definition.maxSize}`,
    );
  }
  return definition.open(value, registry.keys) as EnvelopeOf<M>;
}
