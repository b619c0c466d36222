/**
 * The signed envelope every protocol message travels in (SPEC §3):
 *
 *   { type, v, from, seq, time, body, sig }   as one canonical CBOR map
 *
 * `from` is the sender's 32-byte Ed25519 node key, `seq` the sender's message counter and `time` its clock in
 * milliseconds (freshness and replay windows are the receiving layer's business: they need state and a clock).
 * `sig` is the Ed25519 signature over
 *
 *   "AME-ENV-v1" ‖ 0x00 ‖ type ‖ 0x00 ‖ cbor({ type, v, from, seq, time, body })
 *
 * The domain tag keeps envelope signatures from being replayed as any other signed AME structure (those use other
 * tags, e.g. AME-MSG-v1 for signed files), and the type inside the tag means a signature made for one message type
 * cannot be presented as another even by a decoder that forgot to compare the type field.
 */
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH } from '../crypto/node-key.ts';
import { s } from './schema.ts';

export const ENVELOPE_DOMAIN = 'AME-ENV-v1';

/** The largest envelope any message type may declare: RLDP's default request limit (SPEC §4). */
export const MAX_ENVELOPE_SIZE = 4 * 1024 * 1024;

/** Message type names: lower-case words joined by '.', '-' or '_' ("heartbeat", "ledger.tx"); at most 64 bytes. */
export const TYPE_NAME_PATTERN = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;
export const MAX_TYPE_NAME_LENGTH = 64;

export interface Envelope<T extends string = string, V extends number = number, B = unknown> {
  readonly type: T;
  readonly v: V;
  /** The sender's Ed25519 node public key (its PeerId key). */
  readonly from: Uint8Array;
  readonly seq: number;
  /** Sender's clock, milliseconds since the Unix epoch. */
  readonly time: number;
  readonly body: B;
  readonly sig: Uint8Array;
}

/** The envelope fields other than type, v and body, shared by every message type. */
export const envelopeHeader = {
  from: s.bytes({ len: ED25519_PUBLIC_KEY_LENGTH }),
  seq: s.uint(),
  time: s.uint(),
  sig: s.bytes({ len: ED25519_SIGNATURE_LENGTH }),
} as const;

const encoder = new TextEncoder();

/** "AME-ENV-v1" ‖ 0x00 ‖ type ‖ 0x00: computed once per message type. */
export function envelopeDomainPrefix(type: string): Uint8Array {
  return encoder.encode(`${ENVELOPE_DOMAIN}\0${type}\0`);
}

/** The bytes a sender signs: the type's domain prefix followed by the canonical encoding of the unsigned fields. */
export function envelopeSigningBytes(prefix: Uint8Array, unsignedCbor: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + unsignedCbor.length);
  out.set(prefix, 0);
  out.set(unsignedCbor, prefix.length);
  return out;
}
