/**
 * Message types: a name, a version and a body schema, bound into something that can sign (encode) an envelope
 * and check (open) a decoded one. Layers define their messages with defineMessage and hand them to a Registry.
 */
import type { Ed25519KeyPair, Ed25519PublicKey } from '../crypto/node-key.ts';
import { WireError } from './errors.ts';
import { encodeCbor } from './cbor.ts';
import type { CborMap, CborValue } from './cbor-model.ts';
import { KeyCache } from './key-cache.ts';
import { s, type Infer, type Schema } from './schema.ts';
import {
  MAX_ENVELOPE_SIZE,
  MAX_TYPE_NAME_LENGTH,
  TYPE_NAME_PATTERN,
  envelopeDomainPrefix,
  envelopeHeader,
  envelopeSigningBytes,
  type Envelope,
} from './envelope.ts';

/** Per-type size limit when a definition names none: generous for control messages, far below RLDP's 4 MiB. */
export const DEFAULT_MESSAGE_MAX_SIZE = 64 * 1024;

export interface MessageOptions {
  /** Largest encoded envelope of this type, in bytes (≤ MAX_ENVELOPE_SIZE). */
  readonly maxSize?: number;
}

export interface EnvelopeFields<B> {
  readonly seq: number;
  readonly time: number;
  readonly body: B;
}

export class MessageType<T extends string = string, V extends number = number, B = unknown> {
  readonly type: T;
  readonly version: V;
  readonly body: Schema<B>;
  readonly maxSize: number;
  readonly #prefix: Uint8Array;
  readonly #envelope: Schema<Envelope<T, V, B>>;

  constructor(type: T, version: V, body: Schema<B>, options: MessageOptions = {}) {
    if (typeof type !== 'string' || type.length > MAX_TYPE_NAME_LENGTH || !TYPE_NAME_PATTERN.test(type)) {
      throw new WireError('BAD_DEFINITION', `message type name ${JSON.stringify(type)} is not a valid name`);
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new WireError('BAD_DEFINITION', `${type}: version must be a positive integer, got ${version}`);
    }
    const maxSize = options.maxSize ?? DEFAULT_MESSAGE_MAX_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < 1 || maxSize > MAX_ENVELOPE_SIZE) {
      throw new WireError('BAD_DEFINITION', `${type}: maxSize must be 1…${MAX_ENVELOPE_SIZE}, got ${maxSize}`);
    }
    this.type = type;
    this.version = version;
    this.body = body;
    this.maxSize = maxSize;
    this.#prefix = envelopeDomainPrefix(type);
    const envelope = s.struct({ type: s.literal(type), v: s.literal(version), ...envelopeHeader, body });
    this.#envelope = envelope as unknown as Schema<Envelope<T, V, B>>;
  }

  /** A signed, canonical envelope. Throws WireError SCHEMA for a bad body and TOO_LARGE above maxSize. */
  encode(keyPair: Ed25519KeyPair, fields: EnvelopeFields<B>): Uint8Array {
    const unsigned = {
      type: this.type,
      v: this.version,
      from: keyPair.publicKey.bytes,
      seq: envelopeHeader.seq.parse(fields.seq, 'seq'),
      time: envelopeHeader.time.parse(fields.time, 'time'),
      body: this.body.parse(fields.body, 'body') as CborValue,
    };
    const sig = keyPair.sign(envelopeSigningBytes(this.#prefix, encodeCbor(unsigned)));
    const bytes = encodeCbor({ ...unsigned, sig });
    if (bytes.length > this.maxSize) {
      const why = `${this.type} envelope of ${bytes.length} bytes exceeds its limit of ${this.maxSize}`;
      throw new WireError('TOO_LARGE', why);
    }
    return bytes;
  }

  /**
   * Checks a canonically decoded envelope map of this type and version: exact fields, body schema, signature.
   * decodeEnvelope calls it after size, canonical form, type and version are settled; use that instead.
   */
  open(map: CborMap, keys: KeyCache = new KeyCache(1)): Envelope<T, V, B> {
    const envelope = this.#envelope.parse(map, '');
    let key: Ed25519PublicKey;
    try {
      key = keys.get(envelope.from);
    } catch (cause) {
      throw new WireError('BAD_SIGNATURE', `${this.type}: from is not a valid Ed25519 public key`, { cause });
    }
    // The signed bytes come from the decoded wire values, not the schema's typed copies: the canonical encoding of
    // what arrived is what the sender signed.
    const { sig: _sig, ...unsigned } = map;
    if (!key.verify(envelopeSigningBytes(this.#prefix, encodeCbor(unsigned)), envelope.sig)) {
      throw new WireError('BAD_SIGNATURE', `${this.type}: signature does not verify under the sender's key`);
    }
    return envelope;
  }
}

/** Defines message `type` in `version` with a body schema; the result's envelopes are typed by the schema. */
export function defineMessage<const T extends string, const V extends number, S extends Schema<unknown>>(
  type: T,
  version: V,
  body: S,
  options: MessageOptions = {},
): MessageType<T, V, Infer<S>> {
  return new MessageType(type, version, body as Schema<Infer<S>>, options);
}

export type AnyMessageType = MessageType<string, number, unknown>;

/** The envelope type a message type decodes to; a union of message types gives a union discriminated by `type`. */
export type EnvelopeOf<M> = M extends MessageType<infer T, infer V, infer B> ? Envelope<T, V, B> : never;
