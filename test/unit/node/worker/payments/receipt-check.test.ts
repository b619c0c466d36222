/**
 * checkReceipt: structural checks (payee, channel, client, nonce, amount, escrow) come before any signature, so
 * a junk or stale receipt costs no verification; a receipt that passes is one the ledger's verifyReceipt accepts.
 */
import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair, encodeSessionAuthorization, verifyAny, type VerifySig } from '../../../../../node/crypto/index.ts';
import { decodeReceipt, encodeReceipt, signReceipt, verifyReceipt } from '../../../../../node/ledger/index.ts';
import { checkReceipt, type PreviousReceipt, Sessions } from '../../../../../node/worker/payments/index.ts';
import { accountOf, nodeKey, refusal, seeded, T0, world } from './payments-fixtures.ts';

function counting(): { verify: VerifySig; calls: () => number } {
  let calls = 0;
  return {
    verify: (...args) => {
      calls += 1;
      return verifyAny(...args);
    },
    calls: () => calls,
  };
}

describe('checkReceipt', () => {
  const w = world({ escrow: 1_000n });
  const auth = encodeSessionAuthorization(w.auth);
  const self = nodeKey(0).publicKey.bytes;
  const receipt = (amount: bigint, nonce: bigint, extra: { channel?: Uint8Array; payee?: Uint8Array } = {}) =>
    encodeReceipt(signReceipt(w.session, { channel: w.channel.id, payee: self, amount, nonce, ...extra }));
  const check = (bytes: Uint8Array, previous?: PreviousReceipt, authorization = auth, sessions?: Sessions, now = T0) => {
    const c = counting();
    const run = () =>
      checkReceipt({
        receipt: bytes,
        authorization,
        price: 10n,
        self,
        now,
        channels: w.view,
        previous: () => previous,
        verify: c.verify,
        ...(sessions === undefined ? {} : { sessions }),
      });
    return { run, calls: c.calls };
  };

  it('refuses on structure alone without verifying a signature', () => {
    const otherClient = encodeSessionAuthorization({ ...w.auth, account: accountOf('someone').address });
    const cases: [Uint8Array, PreviousReceipt | undefined, Uint8Array, string][] = [
      [receipt(50n, 5n, { payee: nodeKey(1).publicKey.bytes }), undefined, auth, 'WRONG_PAYEE'],
      [receipt(50n, 5n, { channel: seeded('elsewhere') }), undefined, auth, 'UNKNOWN_CHANNEL'],
      [receipt(50n, 5n), undefined, otherClient, 'WRONG_CLIENT'],
      [receipt(50n, 5n), { amount: 40n, nonce: 5n }, auth, 'REPLAY'],
      [receipt(50n, 6n), { amount: 41n, nonce: 5n }, auth, 'UNDERPAID'],
      [receipt(1_001n, 6n), undefined, auth, 'OVER_ESCROW'],
    ];
    for (const [bytes, previous, authorization, code] of cases) {
      const { run, calls } = check(bytes, previous, authorization);
      expect(refusal(run).code).toBe(code);
      expect(calls()).toBe(0);
    }
  });

  it('returns what the receipt earns over the floor, and the ledger accepts its signatures', () => {
    const bytes = receipt(70n, 9n);
    const { run, calls } = check(bytes, { amount: 40n, nonce: 5n });
    const checked = run();
    expect(checked).toMatchObject({ ledgerPaid: 0n, earned: 30n });
    expect(calls()).toBe(2); // the authorisation and the receipt
    expect(() => verifyReceipt(decodeReceipt(bytes), w.auth, w.client.address, T0)).not.toThrow();
  });

  it('with Sessions: the authorisation in full once, then each receipt by its own signature, expiry included', () => {
    const sessions = new Sessions();
    const first = check(receipt(70n, 9n), { amount: 40n, nonce: 5n }, auth, sessions);
    expect(first.run()).toMatchObject({ ledgerPaid: 0n, earned: 30n });
    expect(first.calls()).toBe(2);
    expect(sessions.size).toBe(1);
    // Known bytes: no account signature checked again, the same result as without the cache.
    const next = check(receipt(80n, 10n), { amount: 70n, nonce: 9n }, auth, sessions);
    expect(next.run()).toEqual(check(receipt(80n, 10n), { amount: 70n, nonce: 9n }).run());
    expect(next.calls()).toBe(0);
    // A receipt under the known authorisation that its session key did not sign.
    const forger = Ed25519KeyPair.fromSeed(seeded('forger'));
    const forged = encodeReceipt(signReceipt(forger, { channel: w.channel.id, payee: self, amount: 90n, nonce: 11n }));
    expect(refusal(check(forged, { amount: 80n, nonce: 10n }, auth, sessions).run)).toEqual({ code: 'BAD_SIGNATURE', field: 'receipt.sig' });
    // Expired at the receipt's time, though known.
    expect(refusal(check(receipt(90n, 11n), { amount: 80n, nonce: 10n }, auth, sessions, w.auth.expiresAt).run)).toEqual({
      code: 'EXPIRED',
      field: 'authorization.expiresAt',
    });
  });

  it('with Sessions: a forged authorisation is refused every time and never remembered', () => {
    const sessions = new Sessions();
    const forged = encodeSessionAuthorization({ ...w.auth, signature: accountOf('someone').sign(new Uint8Array(8)) });
    for (let i = 0; i < 3; i += 1) {
      const { run, calls } = check(receipt(50n, 5n), undefined, forged, sessions);
      expect(refusal(run)).toEqual({ code: 'BAD_SIGNATURE', field: 'authorization.signature' });
      expect(calls()).toBe(1);
    }
    expect(sessions.size).toBe(0);
  });
});
