/**
 * Every decoder of bytes that come from the network or a disk throws nothing but ServiceError: arbitrary bytes and
 * mutations (bit flips, truncations, insertions, byte overwrites) of valid encodings of bundles, uploads, envelopes,
 * headers, session states, prekey secrets and message content. The paths that go on to use what they decoded
 * (verifying a bundle, publishing an upload, answering a start, decrypting) are held to the same rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import {
  decodeBundle,
  decodeContent,
  decodeEnvelope,
  decodeHeader,
  decodeUpload,
  encodeContent,
  encryptAttachment,
  MemoryPrekeyDirectory,
  PrekeySecrets,
  ServiceError,
  Session,
  verifyBundle,
} from '../../../../../node/services/messaging/index.ts';
import { encodeHeader } from '../../../../../node/services/messaging/ratchet.ts';
import { bundleFrom, party, seededRandom, sessionPair } from './fixtures.ts';
import { mutation } from '../../../../support/mutation.ts';

const { alice, bob, b } = sessionPair('decoders');
const held = alice.encrypt(utf8('held back'));
bob.decrypt(alice.encrypt(utf8('skips one')));
const fromBob = bob.encrypt(utf8('reply'));
const start = party('decoders start alice', 0);
const starter = party('decoders start bob', 1);
const startEnvelope = Session.initiate(start.identity, bundleFrom(starter.upload), starter.identity.address, {
  random: start.random,
}).encrypt(utf8('first'));

const samples = {
  bundle: bundleFrom(b.upload),
  upload: b.upload,
  envelope: held,
  reply: fromBob,
  header: encodeHeader(decodeEnvelope(held).header),
  state: bob.serialize(),
  initiatorState: Session.initiate(start.identity, bundleFrom(starter.upload), starter.identity.address, {
    random: seededRandom('x'),
  }).serialize(),
  secrets: b.secrets.serialize(),
  starterSecrets: starter.secrets.serialize(),
  content: encodeContent({ text: 'hi', attachments: [encryptAttachment(utf8('file'), seededRandom('f')).pointer] }),
};

const random = seededRandom('decoders options');
const decoders: Record<string, [(bytes: Uint8Array) => unknown, Uint8Array]> = {
  bundle: [(x) => verifyBundle(decodeBundle(x)), samples.bundle],
  upload: [decodeUpload, samples.upload],
  'upload → directory': [(x) => new MemoryPrekeyDirectory().publish(x), samples.upload],
  envelope: [decodeEnvelope, samples.envelope],
  'envelope → decrypt': [(x) => Session.restore(samples.state, { random }).decrypt(x), samples.envelope],
  'reply → decrypt': [(x) => Session.restore(samples.initiatorState, { random }).decrypt(x), samples.reply],
  header: [decodeHeader, samples.header],
  'session state': [(x) => Session.restore(x, { random }).encrypt(utf8('x')), samples.state],
  'initiator state': [(x) => Session.restore(x, { random }).serialize(), samples.initiatorState],
  'prekey secrets': [(x) => PrekeySecrets.restore(x, { random }).serialize(), samples.secrets],
  content: [decodeContent, samples.content],
};

function onlyServiceErrors(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): boolean {
  try {
    decode(bytes);
  } catch (error) {
    if (error instanceof ServiceError) return true;
    throw error;
  }
  return true;
}


describe('decoders of untrusted bytes', () => {
  it('accept their valid samples', () => {
    for (const [decode, sample] of Object.values(decoders)) expect(onlyServiceErrors(decode, sample)).toBe(true);
    expect(() => verifyBundle(decodeBundle(samples.bundle))).not.toThrow();
    expect(() => Session.restore(samples.state, { random }).decrypt(samples.envelope)).not.toThrow();
  });

  for (const [name, [decode, sample]] of Object.entries(decoders)) {
    it(`${name}: 2,000 mutated and 1,000 random inputs throw only ServiceError`, () => {
      fc.assert(fc.property(mutation(sample), (bytes) => onlyServiceErrors(decode, bytes)), { numRuns: 2_000 });
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => onlyServiceErrors(decode, bytes)), {
        numRuns: 1_000,
      });
    });
  }

  it('a session start answered from mutated envelopes throws only ServiceError and consumes nothing', () => {
    const secrets = PrekeySecrets.restore(starter.secrets.serialize(), { random });
    fc.assert(
      fc.property(mutation(startEnvelope), (bytes) => {
        fc.pre(!Buffer.from(bytes).equals(Buffer.from(startEnvelope)));
        return onlyServiceErrors((x) => Session.respond(secrets, x, { random }), bytes);
      }),
      { numRuns: 300 },
    );
    expect(secrets.oneTimeCount).toBe(1);
    expect(new TextDecoder().decode(Session.respond(secrets, startEnvelope, { random }).plaintext)).toBe('first');
    expect(secrets.oneTimeCount).toBe(0);
  });

  const refusedWhenChanged: Record<string, [(bytes: Uint8Array) => unknown, Uint8Array]> = {
    'a bundle': [(x) => verifyBundle(decodeBundle(x)), samples.bundle],
    'an envelope': [(x) => Session.restore(samples.state, { random }).decrypt(x), samples.envelope],
    'a session start': [(x) => Session.respond(PrekeySecrets.restore(samples.starterSecrets, { random }), x, { random }), startEnvelope],
  };
  for (const [name, [use, sample]] of Object.entries(refusedWhenChanged)) {
    it(`${name} changed in any byte is refused with a ServiceError`, () => {
      expect(() => use(sample)).not.toThrow();
      fc.assert(
        fc.property(mutation(sample), (bytes) => {
          fc.pre(!Buffer.from(bytes).equals(Buffer.from(sample)));
          expect(() => use(bytes)).toThrow(ServiceError);
        }),
        { numRuns: name === 'a session start' ? 200 : 1_000 },
      );
    });
  }
});
