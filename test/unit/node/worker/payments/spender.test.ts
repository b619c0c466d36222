/**
 * ChannelSpender: cumulative receipts per payee under fresh nonces, signed by the session key; never a total
 * beyond the escrow, never an unknown payee; its state is recorded before a receipt is handed out.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair, encodeSessionAuthorization, toHex } from '../../../../../node/crypto/index.ts';
import { decodeAuthorization, decodeReceipt, verifyReceipt } from '../../../../../node/ledger/index.ts';
import {
  ChannelSpender,
  MemorySpenderStore,
  receiptHash,
  type SpenderStore,
} from '../../../../../node/worker/payments/index.ts';
import { HOUR, nodeKey, refusal, seeded, T0, world, type World } from './payments-fixtures.ts';

function spender(w: World, store: SpenderStore = new MemorySpenderStore()): ChannelSpender {
  return new ChannelSpender({ channel: w.channel, session: w.session, authorization: w.auth, store, now: w.clock.now });
}

describe('ChannelSpender.pay', () => {
  it('signs cumulative amounts per payee under increasing nonces, verifiable against the authorisation', () => {
    const w = world();
    const s = spender(w);
    const [a, b] = w.payees as [Uint8Array, Uint8Array];
    const payments = [s.pay(a, 10n), s.pay(b, 5n), s.pay(a, 7n, 90)];
    expect(payments.map((p) => p.fields.amount)).toEqual([10n, 5n, 17n]);
    expect(payments.map((p) => p.fields.nonce)).toEqual([1n, 2n, 3n]);
    expect(payments[2]!.fields.score).toBe(90);
    expect(payments[0]!.fields.score).toBeUndefined();
    for (const p of payments) {
      const receipt = decodeReceipt(p.receipt);
      expect(receipt.fields).toEqual(p.fields);
      expect(p.hash).toEqual(receiptHash(p.receipt));
      const auth = decodeAuthorization(p.authorization);
      expect(() => verifyReceipt(receipt, auth, w.client.address, T0)).not.toThrow();
    }
    expect(s.owed(a)).toBe(17n);
    expect(s.owed(b)).toBe(5n);
    expect(s.total).toBe(22n);
    expect(s.remaining).toBe(w.channel.escrow - 22n);
    expect(s.nextNonce).toBe(4n);
  });

  it('pays up to the escrow exactly and refuses one unit more, without using a nonce', () => {
    const w = world({ escrow: 100n });
    const s = spender(w);
    const [a, b] = w.payees as [Uint8Array, Uint8Array];
    s.pay(a, 60n);
    expect(refusal(() => s.pay(b, 41n))).toEqual({ code: 'OVER_ESCROW', field: 'amount' });
    expect(s.pay(b, 40n).fields).toMatchObject({ amount: 40n, nonce: 2n });
    expect(refusal(() => s.pay(a, 1n))).toEqual({ code: 'OVER_ESCROW', field: 'amount' });
    expect(s.pay(a, 0n).fields).toMatchObject({ amount: 60n, nonce: 3n });
    expect(s.total).toBe(100n);
  });

  it('refuses an unknown payee, a bad amount or score and an expired authorisation, leaving its state', () => {
    const w = world();
    const s = spender(w);
    const [a] = w.payees as [Uint8Array];
    expect(refusal(() => s.pay(nodeKey(9).publicKey.bytes, 1n))).toEqual({ code: 'UNKNOWN_PAYEE', field: 'payee' });
    expect(refusal(() => s.pay(a, -1n))).toEqual({ code: 'BAD_VALUE', field: 'amount' });
    expect(refusal(() => s.pay(a, 1 as unknown as bigint))).toEqual({ code: 'BAD_VALUE', field: 'amount' });
    expect(refusal(() => s.pay(a, 1n, 101))).toEqual({ code: 'BAD_VALUE', field: 'score' });
    expect(s.nextNonce).toBe(1n);
    w.clock.advance(24 * HOUR);
    expect(refusal(() => s.pay(a, 1n))).toEqual({ code: 'EXPIRED', field: 'authorization.expiresAt' });
    expect(s.nextNonce).toBe(1n);
    expect(s.total).toBe(0n);
  });

  it('refuses a session key the authorisation does not name', () => {
    const w = world();
    const other = Ed25519KeyPair.fromSeed(seeded('other session'));
    expect(
      refusal(() => new ChannelSpender({ channel: w.channel, session: other, authorization: w.auth, store: new MemorySpenderStore(), now: w.clock.now })),
    ).toEqual({ code: 'BAD_AUTHORIZATION', field: 'authorization.sessionPublicKey' });
  });

  it('hands out no receipt when its state cannot be recorded, and signs nothing it did not record', () => {
    const w = world();
    const inner = new MemorySpenderStore();
    let failing = false;
    const store: SpenderStore = {
      load: (c) => inner.load(c),
      record: (...args) => {
        if (failing) throw new Error('disk full');
        inner.record(...args);
      },
      close: () => inner.close(),
    };
    const s = spender(w, store);
    const [a] = w.payees as [Uint8Array];
    s.pay(a, 5n);
    failing = true;
    expect(() => s.pay(a, 5n)).toThrow('disk full');
    expect(s.owed(a)).toBe(5n);
    expect(s.nextNonce).toBe(2n);
    failing = false;
    expect(s.pay(a, 3n).fields).toMatchObject({ amount: 8n, nonce: 2n });
    expect(inner.load(w.channel.id)).toEqual({ nextNonce: 3n, owed: new Map([[toHex(a), 8n]]) });
  });

  it('records each receipt durably before it signs it', () => {
    const w = world();
    const store = new MemorySpenderStore();
    const seen: bigint[] = [];
    // A session key that looks at the store at the moment of signing.
    const watching = {
      publicKey: w.session.publicKey,
      sign: (message: Uint8Array) => {
        seen.push(store.load(w.channel.id).nextNonce);
        return w.session.sign(message);
      },
    } as unknown as Ed25519KeyPair;
    const s = new ChannelSpender({ channel: w.channel, session: watching, authorization: w.auth, store, now: w.clock.now });
    const nonces = [s.pay(w.payees[0]!, 1n), s.pay(w.payees[1]!, 1n)].map((p) => p.fields.nonce);
    // When nonce n was signed the store already said n + 1 was next.
    expect(seen).toEqual(nonces.map((n) => n + 1n));
  });

  it('encodes the authorisation it was given', () => {
    const w = world();
    expect(spender(w).authorization).toEqual(encodeSessionAuthorization(w.auth));
  });
});

describe('ChannelSpender over random payment sequences (property)', () => {
  const op = fc.record({
    // Payee 2 is not on the channel.
    payee: fc.integer({ min: 0, max: 2 }),
    amount: fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2_000n })),
    restart: fc.boolean(),
  });

  it('never signs beyond the escrow, matches a model, restarts without lowering amounts or reusing nonces', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 3_000n }), fc.array(op, { maxLength: 40 }), (escrow, ops) => {
        const w = world({ escrow });
        const store = new MemorySpenderStore();
        let s = spender(w, store);
        const model = new Map<string, bigint>();
        let total = 0n;
        let lastNonce = 0n;
        const stranger = nodeKey(9).publicKey.bytes;
        for (const { payee: index, amount, restart } of ops) {
          if (restart) s = spender(w, store);
          const payee = index < 2 ? w.payees[index]! : stranger;
          const key = toHex(payee);
          const expected = index >= 2 ? 'UNKNOWN_PAYEE' : total + amount > escrow ? 'OVER_ESCROW' : undefined;
          if (expected !== undefined) {
            expect(refusal(() => s.pay(payee, amount)).code).toBe(expected);
            continue;
          }
          const { fields } = s.pay(payee, amount);
          const cumulative = (model.get(key) ?? 0n) + amount;
          model.set(key, cumulative);
          total += amount;
          expect(fields.amount).toBe(cumulative);
          expect(fields.nonce).toBeGreaterThan(lastNonce);
          lastNonce = fields.nonce;
        }
        expect(total).toBeLessThanOrEqual(escrow);
        expect(s.total).toBe(total);
        for (const payee of w.payees) expect(s.owed(payee)).toBe(model.get(toHex(payee)) ?? 0n);
      }),
      { numRuns: 200 },
    );
  });
});
