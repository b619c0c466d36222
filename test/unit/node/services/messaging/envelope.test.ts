/** Envelopes: canonical round trip, the start only while it is needed, and strict decoding. */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import {
  decodeEnvelope,
  decodeHeader,
  encodeEnvelope,
  MAX_ENVELOPE_SIZE,
  MAX_PLAINTEXT_SIZE,
} from '../../../../../node/services/messaging/index.ts';
import { encodeHeader } from '../../../../../node/services/messaging/ratchet.ts';
import { encodeCbor } from '../../../../../node/wire/index.ts';
import { codeOf, sessionPair } from './fixtures.ts';

describe('envelope', () => {
  const { alice, bob, a } = sessionPair('envelope');

  it('round-trips, with and without a session start', () => {
    const fromBob = bob.encrypt(utf8('x'));
    const parsed = decodeEnvelope(fromBob);
    expect(parsed.start).toBeUndefined();
    expect(parsed.sessionId).toEqual(bob.id);
    expect(encodeEnvelope(parsed)).toEqual(fromBob);
    const fromAlice = alice.encrypt(utf8('y'));
    const withStart = decodeEnvelope(fromAlice);
    expect(withStart.start?.ik).toEqual(a.identity.public);
    expect(encodeEnvelope(withStart)).toEqual(fromAlice);
    expect(decodeHeader(encodeHeader(parsed.header))).toEqual(parsed.header);
  });

  it('fits the largest message under MAX_ENVELOPE_SIZE, session start included', () => {
    expect(alice.encrypt(new Uint8Array(MAX_PLAINTEXT_SIZE)).length).toBeLessThanOrEqual(MAX_ENVELOPE_SIZE);
  });

  it('refuses unknown fields, wrong versions, short ciphertexts and non-canonical bytes with MALFORMED', () => {
    const value = { v: 1, sid: new Uint8Array(16), h: { dh: new Uint8Array(32), pn: 0, n: 0 }, ct: new Uint8Array(16) };
    expect(codeOf(() => decodeEnvelope(encodeCbor(value)))).toBeUndefined();
    expect(codeOf(() => decodeEnvelope(encodeCbor({ ...value, v: 2 })))).toBe('MALFORMED');
    expect(codeOf(() => decodeEnvelope(encodeCbor({ ...value, extra: 1 })))).toBe('MALFORMED');
    expect(codeOf(() => decodeEnvelope(encodeCbor({ ...value, ct: new Uint8Array(15) })))).toBe('MALFORMED');
    expect(codeOf(() => decodeHeader(encodeCbor({ dh: new Uint8Array(32), pn: 0, n: 2 ** 32 })))).toBe('MALFORMED');
    // n = 1 in a longer form than needed: well-formed CBOR, not canonical.
    const header = encodeCbor({ dh: new Uint8Array(32), pn: 0, n: 1 });
    expect(Array.from(header.subarray(0, 4))).toEqual([0xa3, 0x61, 0x6e, 0x01]);
    const long = Uint8Array.from([0xa3, 0x61, 0x6e, 0x18, 0x01, ...header.subarray(4)]);
    expect(codeOf(() => decodeHeader(header))).toBeUndefined();
    expect(codeOf(() => decodeHeader(long))).toBe('MALFORMED');
    expect(codeOf(() => decodeEnvelope(new Uint8Array(MAX_ENVELOPE_SIZE + 1)))).toBe('TOO_LARGE');
  });
});
