/**
 * The PQXDH-style handshake: both sides derive the same key, associated data and session id; every input of
 * the KDF matters; a start is refused when its identity is forged, its prekeys are not held, or it is replayed.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../../../node/crypto/index.ts';
import {
  decodeBundle,
  decodeEnvelope,
  encodeEnvelope,
  MessagingIdentity,
  Session,
} from '../../../../../node/services/messaging/index.ts';
import {
  initiateHandshake,
  respondHandshake,
  type SessionStart,
} from '../../../../../node/services/messaging/handshake.ts';
import { bundleFrom, codeOf, party, seededRandom, text } from './fixtures.ts';

describe('handshake', () => {
  const a = party('hs alice');
  const b = party('hs bob', 3);

  it('gives both sides the same key, AD and session id, with and without a one-time prekey', () => {
    for (const index of [0, null]) {
      const bundle = decodeBundle(bundleFrom(b.upload, index));
      const init = initiateHandshake(a.identity, bundle, b.identity.address, seededRandom(`hs ${index}`));
      expect(init.start.opk).toBe(index === null ? undefined : bundle.oneTimePrekey!.id);
      expect(init.start.co === undefined).toBe(index === null);
      const resp = respondHandshake(b.secrets, init.start);
      expect(toHex(resp.sharedKey)).toBe(toHex(init.sharedKey));
      expect(toHex(resp.associatedData)).toBe(toHex(init.associatedData));
      expect(toHex(resp.sessionId)).toBe(toHex(init.sessionId));
      expect(resp.peer).toEqual(a.identity.public);
      expect(init.peer).toEqual(b.identity.public);
    }
  });

  it('derives a different key when any ciphertext or the ephemeral key is altered', () => {
    const bundle = decodeBundle(bundleFrom(b.upload, 1));
    const init = initiateHandshake(a.identity, bundle, b.identity.address, seededRandom('hs alter'));
    const flip = (bytes: Uint8Array, at: number): Uint8Array => {
      const out = Uint8Array.from(bytes);
      out[at]! ^= 0x10;
      return out;
    };
    const other = MessagingIdentity.generate(seededRandom('hs other ek')).public.dh;
    const variants: SessionStart[] = [
      { ...init.start, cs: flip(init.start.cs, 100) }, // ML-KEM part: implicit rejection
      { ...init.start, cs: flip(init.start.cs, 5) }, // X25519 part
      { ...init.start, co: flip(init.start.co!, 500) },
      { ...init.start, ek: other },
    ];
    for (const start of variants) {
      expect(toHex(respondHandshake(b.secrets, start).sharedKey)).not.toBe(toHex(init.sharedKey));
    }
  });

  it('refuses a start whose identity certificate is forged', () => {
    const bundle = decodeBundle(bundleFrom(b.upload, 0));
    const init = initiateHandshake(a.identity, bundle, b.identity.address, seededRandom('hs forged'));
    const mallory = MessagingIdentity.generate(seededRandom('mallory'));
    // Alice's signing key with Mallory's X25519 key: Mallory would be talking in Alice's name.
    const forged = { ...init.start, ik: { ...a.identity.public, dh: mallory.public.dh } };
    expect(codeOf(() => respondHandshake(b.secrets, forged))).toBe('BAD_SIGNATURE');
  });

  it('refuses prekey ids Bob does not hold with NOT_FOUND, and a low-order ephemeral key with BAD_KEY', () => {
    const bundle = decodeBundle(bundleFrom(b.upload, 0));
    const init = initiateHandshake(a.identity, bundle, b.identity.address, seededRandom('hs ids'));
    expect(codeOf(() => respondHandshake(b.secrets, { ...init.start, spk: 99 }))).toBe('NOT_FOUND');
    expect(codeOf(() => respondHandshake(b.secrets, { ...init.start, opk: 99 }))).toBe('NOT_FOUND');
    expect(codeOf(() => respondHandshake(b.secrets, { ...init.start, ek: new Uint8Array(32) }))).toBe('BAD_KEY');
    const { opk: _opk, ...withoutId } = init.start;
    expect(codeOf(() => respondHandshake(b.secrets, withoutId))).toBe('MALFORMED');
  });

  it('consumes a one-time prekey once: a second start with it is NOT_FOUND, a replayed start REPLAY', () => {
    const bob = party('hs once bob');
    const bundle = bundleFrom(bob.upload, 0);
    const first = Session.initiate(a.identity, bundle, bob.identity.address, { random: seededRandom('once 1') });
    const second = Session.initiate(a.identity, bundle, bob.identity.address, { random: seededRandom('once 2') });
    const m1 = first.encrypt(utf8('one'));
    expect(bob.secrets.oneTimeCount).toBe(2);
    expect(text(Session.respond(bob.secrets, m1, { random: bob.random }).plaintext)).toBe('one');
    expect(bob.secrets.oneTimeCount).toBe(1);
    expect(codeOf(() => Session.respond(bob.secrets, m1, { random: bob.random }))).toBe('REPLAY');
    expect(codeOf(() => Session.respond(bob.secrets, second.encrypt(utf8('two')), { random: bob.random }))).toBe('NOT_FOUND');
  });

  it('refuses a replayed start that used no one-time prekey (REPLAY)', () => {
    const bob = party('hs spk only bob');
    const alice = Session.initiate(a.identity, bundleFrom(bob.upload, null), bob.identity.address, { random: seededRandom('spk only') });
    const m = alice.encrypt(utf8('hi'));
    Session.respond(bob.secrets, m, { random: bob.random });
    expect(codeOf(() => Session.respond(bob.secrets, m, { random: bob.random }))).toBe('REPLAY');
  });

  it('consumes nothing when the first message does not open', () => {
    const bob = party('hs forged first bob');
    const alice = Session.initiate(a.identity, bundleFrom(bob.upload, 0), bob.identity.address, { random: seededRandom('ff') });
    const message = decodeEnvelope(alice.encrypt(utf8('hi')));
    const broken = Uint8Array.from(message.ciphertext);
    broken[0]! ^= 1;
    const forged = encodeEnvelope({ ...message, ciphertext: broken });
    expect(codeOf(() => Session.respond(bob.secrets, forged, { random: bob.random }))).toBe('DECRYPT_FAILED');
    expect(bob.secrets.oneTimeCount).toBe(2);
    expect(text(Session.respond(bob.secrets, encodeEnvelope(message), { random: bob.random }).plaintext)).toBe('hi');
    expect(bob.secrets.oneTimeCount).toBe(1);
  });

  it('refuses an envelope whose session id does not match its start, and one without a start', () => {
    const bob = party('hs sid bob');
    const alice = Session.initiate(a.identity, bundleFrom(bob.upload, 0), bob.identity.address, { random: seededRandom('sid') });
    const message = decodeEnvelope(alice.encrypt(utf8('hi')));
    const wrongId = encodeEnvelope({ ...message, sessionId: new Uint8Array(16).fill(7) });
    expect(codeOf(() => Session.respond(bob.secrets, wrongId, { random: bob.random }))).toBe('DECRYPT_FAILED');
    const { start: _start, ...noStart } = message;
    expect(codeOf(() => Session.respond(bob.secrets, encodeEnvelope(noStart), { random: bob.random }))).toBe('MALFORMED');
  });

  it('opens after the signed prekey rotated once, not twice', () => {
    const bob = party('hs rotate bob');
    const make = (label: string) =>
      Session.initiate(a.identity, bundleFrom(bob.upload, null), bob.identity.address, { random: seededRandom(label) }).encrypt(
        utf8(label),
      );
    const inFlight = [make('r1'), make('r2')];
    bob.secrets.rotateSignedPrekey();
    expect(text(Session.respond(bob.secrets, inFlight[0]!, { random: bob.random }).plaintext)).toBe('r1');
    bob.secrets.rotateSignedPrekey();
    expect(codeOf(() => Session.respond(bob.secrets, inFlight[1]!, { random: bob.random }))).toBe('NOT_FOUND');
  });
});
