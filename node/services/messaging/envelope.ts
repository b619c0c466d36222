/**
 * The end-to-end message as it travels and as relays store it:
 *
 *   cbor({v: 1, sid: session id (16), h: {dh, pn, n}, ct: AES-256-GCM ciphertext ‖ tag, start?: session start})
 *
 * A relay sees the session id (so the recipient can route without trying every session), the sender's ratchet
 * key and counters, and, on the first messages of a session only, the initiator's identity: what Signal's
 * headers show. The body is ciphertext. The header is authenticated as associated data of the body.
 */
import { s } from '../../wire/index.ts';
import { decodeWith, encodeValue } from './codec.ts';
import { SESSION_ID_LENGTH, type SessionStart, sessionStartSchema } from './handshake.ts';
import { GCM_TAG_LENGTH, X25519_KEY_LENGTH } from './primitives.ts';
import type { Header } from './ratchet.ts';
import { MAX_COUNTER } from './ratchet-state.ts';

/** Largest plaintext of one message; files go as attachments. */
export const MAX_PLAINTEXT_SIZE = 64 * 1024;
/** Largest encoded envelope: the plaintext limit plus tag, header and a session start with two KEM ciphertexts. */
export const MAX_ENVELOPE_SIZE = MAX_PLAINTEXT_SIZE + 4096;
const MAX_HEADER_SIZE = 128;

export const headerSchema = s.struct({
  dh: s.bytes({ len: X25519_KEY_LENGTH }),
  pn: s.uint({ max: MAX_COUNTER }),
  n: s.uint({ max: MAX_COUNTER }),
});

const envelopeSchema = s.struct({
  v: s.literal(1),
  sid: s.bytes({ len: SESSION_ID_LENGTH }),
  h: headerSchema,
  ct: s.bytes({ min: GCM_TAG_LENGTH, max: MAX_PLAINTEXT_SIZE + GCM_TAG_LENGTH }),
  start: s.optional(sessionStartSchema),
});

export interface Envelope {
  readonly sessionId: Uint8Array;
  readonly header: Header;
  readonly ciphertext: Uint8Array;
  /** Present on the initiator's messages until the responder has answered. */
  readonly start?: SessionStart;
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const value: Record<string, unknown> = {
    v: 1,
    sid: envelope.sessionId,
    h: { dh: envelope.header.dh, pn: envelope.header.pn, n: envelope.header.n },
    ct: envelope.ciphertext,
  };
  if (envelope.start !== undefined) value['start'] = envelope.start;
  return encodeValue(value, 'envelope');
}

/** Shape only: MALFORMED / TOO_LARGE. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const raw = decodeWith(bytes, MAX_ENVELOPE_SIZE, envelopeSchema, 'envelope');
  const base = { sessionId: raw.sid, header: raw.h, ciphertext: raw.ct };
  return raw.start === undefined ? base : { ...base, start: raw.start };
}

/** A header on its own (the bytes the body authenticates): MALFORMED / TOO_LARGE. */
export function decodeHeader(bytes: Uint8Array): Header {
  return decodeWith(bytes, MAX_HEADER_SIZE, headerSchema, 'header');
}
