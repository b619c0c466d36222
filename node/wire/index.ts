/** node/wire: deterministic CBOR, signed envelopes, message schemas and amounts (SPEC §3). */
export { WireError, WIRE_ERROR_CODES, type WireErrorCode } from './errors.ts';
export {
  DEFAULT_MAX_SIZE,
  MAX_DEPTH,
  NEGINT64_MIN,
  UINT64_MAX,
  type CborMap,
  type CborValue,
} from './cbor-model.ts';
export { decodeCbor, encodeCbor, type DecodeCborOptions } from './cbor.ts';
export { s, type BytesOptions, type Infer, type Optional, type Schema, type StructOf } from './schema.ts';
export {
  ENVELOPE_DOMAIN,
  MAX_ENVELOPE_SIZE,
  MAX_TYPE_NAME_LENGTH,
  TYPE_NAME_PATTERN,
  envelopeDomainPrefix,
  envelopeSigningBytes,
  type Envelope,
} from './envelope.ts';
export {
  DEFAULT_MESSAGE_MAX_SIZE,
  MessageType,
  defineMessage,
  type AnyMessageType,
  type EnvelopeFields,
  type EnvelopeOf,
  type MessageOptions,
} from './message-type.ts';
export { Registry, createRegistry } from './registry.ts';
export { KeyCache, DEFAULT_KEY_CACHE_SIZE } from './key-cache.ts';
export { decodeEnvelope, type DecodeEnvelopeOptions } from './decode-envelope.ts';
export { heartbeat, ping, pong, wireMessages } from './messages.ts';
export {
  ABIT_PER_ABC,
  MAX_MICRO,
  MICRO_PER_UNIT,
  abcToAbit,
  formatAmount,
  parseAmount,
  type Amount,
  type Unit,
} from './amount.ts';
