/** The ratchet state's encoding: a round trip keeps everything, and parts that do not fit together are refused. */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import { encodeCbor, decodeCbor, type CborValue } from '../../../../../node/wire/index.ts';
import {
  ratchetStateFrom,
  ratchetStateSchema,
  ratchetStateValue,
} from '../../../../../node/services/messaging/ratchet-state.ts';
import { initSender, ratchetDecrypt, ratchetEncrypt, initReceiver } from '../../../../../node/services/messaging/ratchet.ts';
import { generateX25519 } from '../../../../../node/services/messaging/primitives.ts';
import { codeOf, seededRandom } from './fixtures.ts';

const roundTrip = (value: Record<string, unknown>) =>
  ratchetStateFrom(ratchetStateSchema.parse(decodeCbor(encodeCbor(value as CborValue)), 'r'));

describe('ratchet state encoding', () => {
  const random = seededRandom('state');
  const sk = random(32);
  const bobKey = generateX25519(random);
  let alice = initSender(sk, bobKey.publicKey, random);
  const sent = [0, 1, 2].map((i) => {
    const out = ratchetEncrypt(alice, utf8(`m${i}`), new Uint8Array(0));
    alice = out.state;
    return out;
  });
  const bob = ratchetDecrypt(initReceiver(sk, bobKey.secret), sent[2]!.header, sent[2]!.ciphertext, new Uint8Array(0), {
    random,
  }).state;

  it('round-trips a state with skipped keys', () => {
    expect(bob.skipped.size).toBe(2);
    const again = roundTrip(ratchetStateValue(bob));
    expect(again).toEqual(bob);
    expect([...again.skipped.keys()]).toEqual([...bob.skipped.keys()]);
  });

  it('refuses a receiving chain without a remote key, and a skipped key listed twice', () => {
    const { dhr: _dhr, ...noRemote } = ratchetStateValue(bob);
    expect(codeOf(() => roundTrip(noRemote))).toBe('MALFORMED');
    const value = ratchetStateValue(bob);
    const skipped = value['skipped'] as unknown[];
    expect(codeOf(() => roundTrip({ ...value, skipped: [skipped[0], skipped[0]] }))).toBe('MALFORMED');
  });
});
