/**
 * The Double Ratchet as pure functions: a failed decrypt leaves the state as it was, skipped keys stay bounded
 * (oldest dropped), and the KDF chain splits message keys from chain keys.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../../../node/crypto/index.ts';
import { MAX_SKIP, MAX_SKIPPED_KEYS } from '../../../../../node/services/messaging/index.ts';
import {
  type Header,
  initReceiver,
  initSender,
  kdfChain,
  kdfRoot,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../../../../../node/services/messaging/ratchet.ts';
import type { RatchetState } from '../../../../../node/services/messaging/ratchet-state.ts';
import { generateX25519 } from '../../../../../node/services/messaging/primitives.ts';
import { codeOf, seededRandom } from './fixtures.ts';

const AD = utf8('associated data');

function pair(label: string): { alice: RatchetState; bob: RatchetState; random: (n: number) => Uint8Array } {
  const random = seededRandom(label);
  const sk = random(32);
  const bobKey = generateX25519(random);
  return { alice: initSender(sk, bobKey.publicKey, random), bob: initReceiver(sk, bobKey.secret), random };
}

interface Sent {
  readonly header: Header;
  readonly ciphertext: Uint8Array;
}

function send(state: RatchetState, body: string): [RatchetState, Sent] {
  const out = ratchetEncrypt(state, utf8(body), AD);
  return [out.state, { header: out.header, ciphertext: out.ciphertext }];
}

describe('double ratchet', () => {
  it('derives distinct, deterministic keys', () => {
    const ck = seededRandom('kdf')(32);
    const [next, mk] = kdfChain(ck);
    expect(toHex(next)).not.toBe(toHex(mk));
    expect(kdfChain(ck)).toEqual([next, mk]);
    expect(toHex(kdfChain(next)[1])).not.toBe(toHex(mk));
    const [rk, chain] = kdfRoot(ck, mk);
    expect(toHex(rk)).not.toBe(toHex(chain));
    expect(toHex(kdfRoot(ck, next)[0])).not.toBe(toHex(rk));
  });

  it('leaves the state untouched when a message fails, whatever failed', () => {
    const { alice, bob, random } = pair('untouched');
    const [, m0] = send(alice, 'm0');
    const first = ratchetDecrypt(bob, m0.header, m0.ciphertext, AD, { random });
    const snapshot = structuredClone(first.state);
    const bad = Uint8Array.from(m0.ciphertext);
    bad[0]! ^= 1;
    expect(codeOf(() => ratchetDecrypt(first.state, m0.header, m0.ciphertext, AD, { random }))).toBe('REPLAY');
    expect(codeOf(() => ratchetDecrypt(first.state, { ...m0.header, n: 5 }, bad, AD, { random }))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => ratchetDecrypt(first.state, { ...m0.header, dh: random(32) }, bad, AD, { random }))).toBe(
      'DECRYPT_FAILED',
    );
    expect(first.state).toEqual(snapshot);
  });

  it('keeps at most MAX_SKIPPED_KEYS skipped keys, dropping the oldest', () => {
    let { alice, bob } = pair('bounded');
    const { random } = pair('bounded');
    const early: Sent[] = [];
    for (let chain = 0; chain < 3; chain++) {
      let last: Sent | undefined;
      for (let i = 0; i < MAX_SKIP; i++) {
        [alice, last] = send(alice, `c${chain} m${i}`);
        if (i === 0) early.push(last);
      }
      bob = ratchetDecrypt(bob, last!.header, last!.ciphertext, AD, { random }).state;
      let reply: Sent;
      [bob, reply] = send(bob, `reply ${chain}`);
      alice = ratchetDecrypt(alice, reply.header, reply.ciphertext, AD, { random }).state;
    }
    expect(bob.skipped.size).toBe(MAX_SKIPPED_KEYS);
    // The first chain's keys were dropped (its message reads as already gone), the last chain's are kept.
    expect(codeOf(() => ratchetDecrypt(bob, early[0]!.header, early[0]!.ciphertext, AD, { random }))).toBe('REPLAY');
    const kept = ratchetDecrypt(bob, early[2]!.header, early[2]!.ciphertext, AD, { random });
    expect(new TextDecoder().decode(kept.plaintext)).toBe('c2 m0');
    expect(kept.state.skipped.size).toBe(MAX_SKIPPED_KEYS - 1);
  });

  it('refuses a message beyond the end of an ended chain as a forgery, not a replay', () => {
    const { alice: a0, bob: b0 } = pair('ended');
    const { random } = pair('ended');
    const [a1, m] = send(a0, 'm0');
    const b1 = ratchetDecrypt(b0, m.header, m.ciphertext, AD, { random }).state;
    const [b2, reply] = send(b1, 'r');
    const a2 = ratchetDecrypt(a1, reply.header, reply.ciphertext, AD, { random }).state;
    const [, next] = send(a2, 'm1');
    const bob = ratchetDecrypt(b2, next.header, next.ciphertext, AD, { random }).state;
    expect(codeOf(() => ratchetDecrypt(bob, { ...m.header, n: 3 }, m.ciphertext, AD, { random }))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => ratchetDecrypt(bob, m.header, m.ciphertext, AD, { random }))).toBe('REPLAY');
  });

  it('binds the associated data', () => {
    const { alice, bob, random } = pair('ad');
    const [, m] = send(alice, 'x');
    expect(codeOf(() => ratchetDecrypt(bob, m.header, m.ciphertext, utf8('other'), { random }))).toBe('DECRYPT_FAILED');
  });
});
