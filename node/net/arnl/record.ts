/**
 * ARNL identity records (SPEC.md §4): a node's PeerId and multiaddrs at a time, signed by its node key. The record
 * is a wire envelope of type `arnl.identity`, so it is deterministic CBOR with its own signature domain; the node's
 * 256-bit abstract address is SHA-256 of the record's bytes.
 */
import type { Ed25519KeyPair } from '../../crypto/node-key.ts';
import { peerIdOf } from '../../crypto/peer-id.ts';
import { sha256 } from '../../crypto/hash.ts';
import { decodeEnvelope } from '../../wire/decode-envelope.ts';
import { WireError } from '../../wire/errors.ts';
import { defineMessage } from '../../wire/message-type.ts';
import { createRegistry, type Registry } from '../../wire/registry.ts';
import { s } from '../../wire/schema.ts';
import { NetError } from '../errors.ts';

export const MAX_RECORD_ADDRS = 32;
export const MAX_RECORD_BYTES = 16 * 1024;
export const ABSTRACT_ADDRESS_LENGTH = 32;

export const identityRecordType = defineMessage(
  'arnl.identity',
  1,
  s.struct({
    peer: s.text({ min: 1, max: 128 }),
    addrs: s.array(s.text({ min: 1, max: 256 }), { max: MAX_RECORD_ADDRS }),
  }),
  { maxSize: MAX_RECORD_BYTES },
);

export interface IdentityRecord {
  /** The PeerId, checked against the signing key. */
  readonly peer: string;
  readonly addrs: readonly string[];
  /** Signing time, ms since the Unix epoch (the signer's clock). */
  readonly time: number;
  /** The signer's record counter: a newer record of the same node has a higher one. */
  readonly seq: number;
  /** SHA-256 of `bytes`. */
  readonly address: Uint8Array;
  /** The signed record as it travels. */
  readonly bytes: Uint8Array;
}

export type IdentityRegistry = Registry<typeof identityRecordType>;

export function identityRegistry(): IdentityRegistry {
  return createRegistry([identityRecordType]);
}

/** The abstract address of a record: SHA-256 of its bytes. */
export function abstractAddress(recordBytes: Uint8Array): Uint8Array {
  return sha256(recordBytes);
}

/** Signs a record of `nodeKey`'s PeerId and `addrs` at `time`. BAD_REQUEST for addresses the schema refuses. */
export function signIdentityRecord(
  nodeKey: Ed25519KeyPair,
  fields: { readonly addrs: readonly string[]; readonly time: number; readonly seq?: number },
): IdentityRecord {
  const peer = peerIdOf(nodeKey);
  const { time, seq = 0 } = fields;
  let bytes: Uint8Array;
  try {
    bytes = identityRecordType.encode(nodeKey, { seq, time, body: { peer, addrs: [...fields.addrs] } });
  } catch (cause) {
    throw new NetError('BAD_REQUEST', `cannot sign identity record: ${(cause as Error).message}`, { cause });
  }
  return { peer, addrs: [...fields.addrs], time, seq, address: abstractAddress(bytes), bytes };
}

/**
 * Decodes and verifies a record from untrusted bytes. BAD_REQUEST (the WireError as cause) for anything that is not
 * a canonical, well-signed record, and for a record whose PeerId is not the one of its signing key.
 */
export function openIdentityRecord(bytes: Uint8Array, registry: IdentityRegistry = identityRegistry()): IdentityRecord {
  let envelope;
  try {
    envelope = decodeEnvelope(registry, bytes);
  } catch (cause) {
    if (!(cause instanceof WireError)) throw cause;
    throw new NetError('BAD_REQUEST', `invalid identity record: ${cause.message}`, { cause });
  }
  const { body, from, time, seq } = envelope;
  if (body.peer !== peerIdOf(from)) {
    throw new NetError('BAD_REQUEST', 'identity record names a PeerId other than its signer');
  }
  const copy = new Uint8Array(bytes);
  return { peer: body.peer, addrs: body.addrs, time, seq, address: abstractAddress(copy), bytes: copy };
}
