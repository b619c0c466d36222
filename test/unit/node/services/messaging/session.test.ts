/**
 * Sessions end to end: a session from a bundle, conversations in both directions, out-of-order delivery, the
 * MAX_SKIP bound, replays, tampering, persistence, and the two properties the Double Ratchet exists for: forward
 * secrecy (a stolen state does not open earlier messages) and recovery after a compromise (a stolen state stops
 * opening messages once a round trip has moved the DH ratchet).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import {
  decodeEnvelope,
  encodeEnvelope,
  MAX_PLAINTEXT_SIZE,
  MAX_SKIP,
  Session,
} from '../../../../../node/services/messaging/index.ts';
import { decodeCbor } from '../../../../../node/wire/index.ts';
import { kdfChain, openMessage } from '../../../../../node/services/messaging/ratchet.ts';
import { bundleFrom, codeOf, party, randomInt, seededRandom, sessionPair, text } from './fixtures.ts';

/** Every 32-byte string anywhere in a CBOR value: the candidate secrets a thief holding the bytes has. */
function secretsIn(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      if (value.length === 32) out.push(value);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(decodeCbor(bytes, { maxSize: 1 << 22 }));
  return out;
}

/** True when some candidate, as a message key or as a chain key up to `depth` steps back, opens the envelope. */
function anyKeyOpens(candidates: readonly Uint8Array[], envelope: Uint8Array, ad: readonly Uint8Array[], depth: number): boolean {
  const message = decodeEnvelope(envelope);
  for (const candidate of candidates) {
    const keys = [candidate];
    let ck = candidate;
    for (let i = 0; i < depth; i++) {
      const [next, mk] = kdfChain(ck);
      keys.push(mk);
      ck = next;
    }
    for (const mk of keys) {
      for (const data of ad) {
        try {
          openMessage(mk, message.ciphertext, data, message.header);
          return true;
        } catch {
          // expected: this candidate is not the key
        }
      }
    }
  }
  return false;
}

describe('a session from a bundle', () => {
  it('carries many messages in both directions, each opening exactly once', () => {
    const { alice, bob } = sessionPair('many');
    const random = seededRandom('many turns');
    for (let turn = 0; turn < 60; turn++) {
      const [from, to, who] = randomInt(random, 2) === 0 ? [alice, bob, 'a'] : [bob, alice, 'b'];
      const burst = 1 + randomInt(random, 4);
      for (let i = 0; i < burst; i++) {
        const body = `${who} turn ${turn} message ${i}`;
        expect(text(to.decrypt(from.encrypt(utf8(body))))).toBe(body);
      }
    }
  });

  it('opens messages delivered out of order within MAX_SKIP, across DH ratchet steps', () => {
    const { alice, bob } = sessionPair('out of order');
    const first = Array.from({ length: 20 }, (_, i) => alice.encrypt(utf8(`a${i}`)));
    // Bob reads a few, late ones first, then answers: Alice's next chain starts while old ones are still out.
    for (const i of [5, 19, 0]) expect(text(bob.decrypt(first[i]!))).toBe(`a${i}`);
    expect(text(alice.decrypt(bob.encrypt(utf8('b0'))))).toBe('b0');
    const second = Array.from({ length: 5 }, (_, i) => alice.encrypt(utf8(`c${i}`)));
    expect(text(bob.decrypt(second[4]!))).toBe('c4');
    const rest = [...first.keys()].filter((i) => ![5, 19, 0].includes(i)).reverse();
    for (const i of rest) expect(text(bob.decrypt(first[i]!))).toBe(`a${i}`);
    for (const i of [2, 0, 3, 1]) expect(text(bob.decrypt(second[i]!))).toBe(`c${i}`);
  });

  it('refuses a message more than MAX_SKIP ahead with TOO_MANY_SKIPPED, and stays usable', () => {
    const { alice, bob } = sessionPair('skip bound');
    const sent = Array.from({ length: MAX_SKIP + 2 }, (_, i) => alice.encrypt(utf8(`m${i}`)));
    expect(codeOf(() => bob.decrypt(sent[MAX_SKIP + 1]!))).toBe('TOO_MANY_SKIPPED');
    // Exactly MAX_SKIP skipped keys is still within the bound.
    expect(text(bob.decrypt(sent[MAX_SKIP]!))).toBe(`m${MAX_SKIP}`);
    expect(text(bob.decrypt(sent[3]!))).toBe('m3');
    expect(text(bob.decrypt(sent[MAX_SKIP + 1]!))).toBe(`m${MAX_SKIP + 1}`);
  });

  it('honours a smaller maxSkip option', () => {
    const a = party('small skip alice');
    const b = party('small skip bob');
    const alice = Session.initiate(a.identity, bundleFrom(b.upload), b.identity.address, { random: a.random });
    const sent = Array.from({ length: 6 }, (_, i) => alice.encrypt(utf8(`m${i}`)));
    expect(codeOf(() => Session.respond(b.secrets, sent[5]!, { random: b.random, maxSkip: 4 }))).toBe('TOO_MANY_SKIPPED');
    const { session: bob } = Session.respond(b.secrets, sent[4]!, { random: b.random, maxSkip: 4 });
    expect(text(bob.decrypt(sent[0]!))).toBe('m0');
  });

  it('refuses replays: the same message, a skipped one delivered twice, one of an ended chain', () => {
    const { alice, bob } = sessionPair('replay');
    const m0 = alice.encrypt(utf8('m0'));
    const m1 = alice.encrypt(utf8('m1'));
    const m2 = alice.encrypt(utf8('m2'));
    bob.decrypt(m0);
    expect(codeOf(() => bob.decrypt(m0))).toBe('REPLAY');
    bob.decrypt(m2);
    bob.decrypt(m1);
    expect(codeOf(() => bob.decrypt(m1))).toBe('REPLAY');
    alice.decrypt(bob.encrypt(utf8('turn')));
    bob.decrypt(alice.encrypt(utf8('new chain')));
    expect(codeOf(() => bob.decrypt(m2))).toBe('REPLAY');
    expect(text(alice.decrypt(bob.encrypt(utf8('still fine'))))).toBe('still fine');
  });

  it('refuses a tampered header or ciphertext with DECRYPT_FAILED and changes nothing', () => {
    const { alice, bob } = sessionPair('tamper');
    const sent = alice.encrypt(utf8('the real one'));
    const message = decodeEnvelope(sent);
    const before = bob.serialize();
    const flipped = Uint8Array.from(message.ciphertext);
    flipped[3]! ^= 1;
    const variants = [
      { ...message, ciphertext: flipped },
      { ...message, header: { ...message.header, n: message.header.n + 1 } },
      { ...message, header: { ...message.header, pn: message.header.pn + 1 } },
    ];
    for (const variant of variants) expect(codeOf(() => bob.decrypt(encodeEnvelope(variant)))).toBe('DECRYPT_FAILED');
    // A foreign ratchet key makes Bob try a DH ratchet step that the tag then refuses.
    const other = sessionPair('tamper other').alice.encrypt(utf8('x'));
    const foreignKey = { ...message, header: { ...message.header, dh: decodeEnvelope(other).header.dh } };
    expect(codeOf(() => bob.decrypt(encodeEnvelope(foreignKey)))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => bob.decrypt(encodeEnvelope({ ...message, sessionId: new Uint8Array(16) })))).toBe('NOT_FOUND');
    expect(bob.serialize()).toEqual(before);
    expect(text(bob.decrypt(sent))).toBe('the real one');
  });

  it('refuses a low-order ratchet key in a header with BAD_KEY', () => {
    const { alice, bob } = sessionPair('low order');
    const message = decodeEnvelope(alice.encrypt(utf8('x')));
    const zero = { ...message, header: { ...message.header, dh: new Uint8Array(32) } };
    expect(codeOf(() => bob.decrypt(encodeEnvelope(zero)))).toBe('BAD_KEY');
  });

  it('survives serialize/restore on both sides mid-conversation, out-of-order keys included', () => {
    let { alice, bob } = sessionPair('persist');
    const held = [alice.encrypt(utf8('early 0')), alice.encrypt(utf8('early 1'))];
    bob.decrypt(alice.encrypt(utf8('late')));
    alice = Session.restore(alice.serialize(), { random: seededRandom('persist a2') });
    bob = Session.restore(bob.serialize(), { random: seededRandom('persist b2') });
    expect(text(bob.decrypt(held[1]!))).toBe('early 1');
    expect(text(alice.decrypt(bob.encrypt(utf8('answer'))))).toBe('answer');
    expect(text(bob.decrypt(held[0]!))).toBe('early 0');
    expect(Session.restore(bob.serialize(), { random: seededRandom('x') }).serialize()).toEqual(bob.serialize());
  });

  it('sends the session start until the first answer, and the responder routes repeats to its session', () => {
    const a = party('start repeat alice');
    const b = party('start repeat bob');
    const alice = Session.initiate(a.identity, bundleFrom(b.upload), b.identity.address, { random: a.random });
    const m0 = alice.encrypt(utf8('m0'));
    const m1 = alice.encrypt(utf8('m1'));
    expect(decodeEnvelope(m1).start).toBeDefined();
    expect(alice.awaitingReply).toBe(true);
    const { session: bob } = Session.respond(b.secrets, m1, { random: b.random });
    expect(codeOf(() => Session.respond(b.secrets, m0, { random: b.random }))).toBe('REPLAY');
    // A repeat of the start with any byte altered is not this session's start.
    const parsed = decodeEnvelope(m0);
    const sig = Uint8Array.from(parsed.start!.ik.sig);
    sig[0]! ^= 1;
    const altered = encodeEnvelope({ ...parsed, start: { ...parsed.start!, ik: { ...parsed.start!.ik, sig } } });
    expect(codeOf(() => bob.decrypt(altered))).toBe('DECRYPT_FAILED');
    expect(text(bob.decrypt(m0))).toBe('m0');
    // The responder never sends a start, so the initiator refuses one.
    expect(codeOf(() => alice.decrypt(encodeEnvelope({ ...decodeEnvelope(bob.encrypt(utf8('x'))), start: parsed.start! })))).toBe(
      'DECRYPT_FAILED',
    );
    alice.decrypt(bob.encrypt(utf8('hi')));
    expect(alice.awaitingReply).toBe(false);
    expect(decodeEnvelope(alice.encrypt(utf8('m2'))).start).toBeUndefined();
    expect(bob.peer).toEqual(a.identity.public);
    expect(alice.peerAddress).toEqual(b.identity.address);
  });

  it('refuses a plaintext above MAX_PLAINTEXT_SIZE with TOO_LARGE', () => {
    const { alice } = sessionPair('too large');
    expect(codeOf(() => alice.encrypt(new Uint8Array(MAX_PLAINTEXT_SIZE + 1)))).toBe('TOO_LARGE');
    expect(codeOf(() => alice.encrypt(new Uint8Array(MAX_PLAINTEXT_SIZE)))).toBeUndefined();
  });
});

describe('forward secrecy', () => {
  it("Bob's full state, stolen after he read messages 1..n, opens none of them", () => {
    const { alice, bob } = sessionPair('forward secrecy');
    const captured: Uint8Array[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) captured.push(alice.encrypt(utf8(`secret ${round}.${i}`)));
      alice.decrypt(bob.encrypt(utf8(`ack ${round}`)));
    }
    // Out of order on purpose: skipped keys existed and must be gone once their messages were read.
    for (const i of [...captured.keys()].reverse()) expect(text(bob.decrypt(captured[i]!))).toMatch(/^secret/);
    const stolen = bob.serialize();
    const thief = Session.restore(stolen, { random: seededRandom('thief') });
    for (const envelope of captured) expect(codeOf(() => thief.decrypt(envelope))).toBe('REPLAY');
    // Beyond the API: no key in the stolen bytes, nor any chain key derived from one, opens a captured message.
    const candidates = secretsIn(stolen);
    expect(candidates.length).toBeGreaterThan(3);
    for (const envelope of captured) expect(anyKeyOpens(candidates, envelope, candidates, 20)).toBe(false);
  });

  it('the same search does find a key that is still held (so the search can fail)', () => {
    const { alice, bob } = sessionPair('forward secrecy control');
    const held = alice.encrypt(utf8('not yet read'));
    bob.decrypt(alice.encrypt(utf8('read')));
    const candidates = secretsIn(bob.serialize());
    expect(anyKeyOpens(candidates, held, candidates, 2)).toBe(true);
  });
});

describe('recovery after a compromise', () => {
  it('a thief with Bob\'s state reads along until a round trip moves the DH ratchet, then nothing', () => {
    const { alice, bob } = sessionPair('healing');
    alice.decrypt(bob.encrypt(utf8('before')));
    const stolen = bob.serialize();
    const thief = Session.restore(stolen, { random: seededRandom('thief rng') });
    // Right after the theft the thief can read what Alice sends: the compromise is real.
    const next = alice.encrypt(utf8('read by the thief'));
    expect(text(thief.decrypt(next))).toBe('read by the thief');
    bob.decrypt(next);
    // Round trip: Bob answers with a fresh ratchet key, Alice answers that with one of her own.
    alice.decrypt(bob.encrypt(utf8('bob heals')));
    const after = [alice.encrypt(utf8('after 1')), alice.encrypt(utf8('after 2'))];
    for (const envelope of after) expect(text(bob.decrypt(envelope))).toMatch(/^after/);
    // Everything the thief has: the stolen bytes and its own state after reading along.
    const candidates = [...secretsIn(stolen), ...secretsIn(thief.serialize())];
    for (const envelope of after) {
      expect(codeOf(() => thief.decrypt(envelope))).toBe('DECRYPT_FAILED');
      expect(anyKeyOpens(candidates, envelope, candidates, 10)).toBe(false);
    }
    // Bob's own sending chain has moved on too: his old chain key in the stolen state opens nothing new.
    const fromBob = bob.encrypt(utf8('bob after'));
    expect(anyKeyOpens(candidates, fromBob, candidates, 10)).toBe(false);
    expect(text(alice.decrypt(fromBob))).toBe('bob after');
  });
});
