/**
 * "Workers relay ciphertext only" (SPEC §3): a conversation through a worker's prekey directory and mailbox
 * (SQLite, so the bytes on disk can be searched). Nothing the worker stores contains a plaintext, and with
 * everything it holds (bundles, uploads, envelopes, its own fresh keys) no message opens.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import {
  decodeEnvelope,
  MessagingIdentity,
  PrekeySecrets,
  Session,
  SqliteMailbox,
  SqlitePrekeyDirectory,
} from '../../../../../node/services/messaging/index.ts';
import { kdfChain, openMessage } from '../../../../../node/services/messaging/ratchet.ts';
import { decodeCbor } from '../../../../../node/wire/index.ts';
import { codeOf, party, seededRandom, text } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every byte string of length 32 inside some CBOR values. */
function bytes32(values: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      if (value.length === 32) out.push(value);
      if (value.length >= 32) for (let i = 0; i + 32 <= value.length; i += 32) out.push(value.subarray(i, i + 32));
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  for (const bytes of values) walk(decodeCbor(bytes, { maxSize: 1 << 22 }));
  return out;
}

describe('a conversation through a relay', () => {
  const path = join(dir, 'relay.db');
  const directory = SqlitePrekeyDirectory.open({ path });
  const mailbox = SqliteMailbox.open({ path });
  const alice = party('relay alice', 0);
  const bob = party('relay bob', 3);
  const uploads = [bob.upload];
  directory.publish(bob.upload);
  afterAll(() => {
    mailbox.close();
    directory.close();
  });

  const secrets = Array.from({ length: 8 }, (_, i) => `confidential line number ${i} for the relay test`);
  const bundles: Uint8Array[] = [];
  const deposited: Uint8Array[] = [];
  const deliver = (to: Uint8Array, envelope: Uint8Array) => {
    deposited.push(envelope);
    mailbox.deposit(to, envelope);
  };
  const collect = (account: Uint8Array): Uint8Array[] => {
    const items = mailbox.list(account);
    mailbox.ack(
      account,
      items.map((i) => i.seq),
    );
    return items.map((i) => i.envelope);
  };

  bundles.push(directory.take(bob.identity.address));
  const aliceSession = Session.initiate(alice.identity, bundles[0]!, bob.identity.address, { random: alice.random });
  let bobSession: Session | undefined;
  const received: string[] = [];
  for (let i = 0; i < secrets.length; i++) {
    if (i % 2 === 0) deliver(bob.identity.address, aliceSession.encrypt(utf8(secrets[i]!)));
    else deliver(alice.identity.address, bobSession!.encrypt(utf8(secrets[i]!)));
    for (const envelope of collect(bob.identity.address)) {
      if (bobSession === undefined) {
        const started = Session.respond(bob.secrets, envelope, { random: bob.random });
        bobSession = started.session;
        received.push(text(started.plaintext));
      } else received.push(text(bobSession.decrypt(envelope)));
    }
    for (const envelope of collect(alice.identity.address)) received.push(text(aliceSession.decrypt(envelope)));
  }

  it('delivers every message, in order, to the right party', () => {
    expect(received).toEqual(secrets);
    expect(mailbox.usage(bob.identity.address).messages).toBe(0);
  });

  it('stores no plaintext: not in the envelopes, not anywhere in the database files', () => {
    const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
    expect(files.length).toBeGreaterThan(0);
    // The check can fail: the WAL does hold the envelopes, byte for byte.
    const sample = Buffer.from(deposited[0]!.subarray(40, 72));
    expect(files.some((file) => file.includes(sample))).toBe(true);
    for (const line of secrets) {
      const needle = Buffer.from(line.slice(0, 16));
      for (const envelope of deposited) expect(Buffer.from(envelope).includes(needle)).toBe(false);
      for (const file of files) expect(file.includes(needle)).toBe(false);
    }
  });

  it('cannot open any message with what it holds', () => {
    const envelopes = deposited;
    // A relay that answers the start with prekeys of its own for Bob's address gets nowhere.
    const relayRandom = seededRandom('relay keys');
    const impostor = PrekeySecrets.create(MessagingIdentity.generate(relayRandom), { random: relayRandom });
    impostor.addOneTimePrekeys(3);
    expect(codeOf(() => Session.respond(impostor, envelopes[0]!, { random: relayRandom }))).toMatch(
      /^(NOT_FOUND|DECRYPT_FAILED|BAD_KEY)$/,
    );
    // The associated data is no secret (a relay can hash the public start itself); take the true one from Alice's
    // state so that only the key is unknown. Every 32-byte string in bundles, uploads and envelopes, as a message
    // key or as a chain key up to 8 steps back, fails to open every message.
    const ad = (decodeCbor(aliceSession.serialize()) as { ad: Uint8Array }).ad;
    const candidates = bytes32([...bundles, ...uploads, ...envelopes]);
    expect(candidates.length).toBeGreaterThan(50);
    let attempts = 0;
    for (const envelope of envelopes) {
      const message = decodeEnvelope(envelope);
      for (const candidate of candidates) {
        let ck = candidate;
        const keys = [candidate];
        for (let step = 0; step < 8; step++) {
          const [next, mk] = kdfChain(ck);
          keys.push(mk);
          ck = next;
        }
        for (const mk of keys) {
          attempts += 1;
          expect(codeOf(() => openMessage(mk, message.ciphertext, ad, message.header))).toBe('DECRYPT_FAILED');
        }
      }
    }
    expect(attempts).toBeGreaterThan(1000);
  });
});
