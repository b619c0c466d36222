/**
 * Settlement on a real ledger (TestChain): the book's latest receipt, in the transaction the book builds, pays
 * the payee exactly the cumulative amount; the same receipt again pays nothing; and over random payment
 * sequences no client is charged beyond what it signed or beyond its escrow.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type AccountKey, authorizeSession, Ed25519KeyPair, encodeSessionAuthorization, type SessionAuthorization } from '../../../../../node/crypto/index.ts';
import { channelId, decodeTx, encodeReceipt, signReceipt } from '../../../../../node/ledger/index.ts';
import {
  ChannelSpender,
  MemoryBookStore,
  MemorySpenderStore,
  ReceiptBook,
  settleFields,
} from '../../../../../node/worker/payments/index.ts';
import { ABC, accountKey, INVESTORS, TestChain } from '../../../../support/ledger-chain.ts';
import { refusal, rejection, seeded } from './payments-fixtures.ts';

let chain: TestChain | undefined;
afterEach(() => {
  chain?.close();
  chain = undefined;
});

interface Payee {
  readonly payout: AccountKey;
  readonly node: Ed25519KeyPair;
  readonly book: ReceiptBook;
}

/** A chain with two registered temporary workers and an ABC channel to both opened by the investors' account. */
function channelWorld(escrow: bigint) {
  const c = (chain = new TestChain());
  const client = accountKey(INVESTORS);
  const nodes = [0, 1].map((i) => Ed25519KeyPair.fromSeed(seeded(`ledger worker ${i}`)));
  const payouts = [0, 1].map((i) => accountKey(10 + i));
  const openNonce = c.accountNonces.get(client.address) ?? 0n;
  const payees = nodes.map((n) => n.publicKey.bytes);
  c.block([
    ...nodes.map((node, i) => c.accountTx(payouts[i]!, 'register', { node: node.publicKey.bytes, role: 'temporary', hardware: 'pi5' }, 0n, node)),
    c.accountTx(client, 'channel-open', { currency: 'ABC', amount: escrow, payees }),
  ]);
  const id = channelId(c.chainId, client.address, openNonce);
  expect(c.ledger.view().channel(id)?.escrow).toBe(escrow);
  const session = Ed25519KeyPair.fromSeed(seeded('ledger session'));
  const auth: SessionAuthorization = authorizeSession(client, session.publicKey, 10_000_000);
  const now = () => Number(c.time);
  const view = (channel: Uint8Array) => c.ledger.view().channel(channel);
  const spender = new ChannelSpender({
    channel: { id, escrow, payees, currency: 'ABC' },
    session,
    authorization: auth,
    store: new MemorySpenderStore(),
    now,
  });
  const workers: Payee[] = nodes.map((node, i) => ({
    payout: payouts[i]!,
    node,
    book: new ReceiptBook({ self: node.publicKey.bytes, store: new MemoryBookStore(), channels: view, now }),
  }));
  const balance = (who: AccountKey) => c.ledger.view().account(who.address).abc;
  const paidTo = (i: number) => c.ledger.view().channel(id)!.paid[i]!;
  /** Settles payee i's latest receipt in a block; returns what its payout account gained. */
  const settle = (i: number): bigint => {
    const w = workers[i]!;
    const before = balance(w.payout);
    const tx = w.book.settleTx(id, { chain: c.chainId, nonce: c.nextNonce(w.payout.address), payout: w.payout });
    const { result } = c.block([tx]);
    expect(result.outcomes[0]).toMatchObject({ ok: true });
    return balance(w.payout) - before;
  };
  return { c, client, id, session, auth, spender, workers, balance, paidTo, settle };
}

describe('settling a receipt book on the ledger', () => {
  it("pays the book's latest receipt exactly once, and the rest after more payments", async () => {
    const t = channelWorld(5n * ABC);
    const w = t.workers[0]!;
    let signed = 0n;
    for (let i = 1n; i <= 20n; i += 1n) {
      const p = t.spender.pay(w.node.publicKey.bytes, i * 1_000n);
      await w.book.accept(p.receipt, p.authorization, i * 1_000n);
      signed += i * 1_000n;
    }
    expect(w.book.latest(t.id)?.amount).toBe(signed);
    const escrowBefore = t.c.ledger.view().channel(t.id)!.escrow;
    expect(t.settle(0)).toBe(signed);
    expect(t.paidTo(0)).toBe(signed);
    expect(t.c.ledger.view().channel(t.id)!.escrow).toBe(escrowBefore - signed);

    // The same receipt settled again (the book not yet told) is accepted by the ledger and pays nothing.
    expect(t.settle(0)).toBe(0n);
    expect(w.book.settled(t.id, t.paidTo(0))).toBe(0n);
    expect(refusal(() => w.book.settleFields(t.id, { chain: t.c.chainId, nonce: 0n }))).toEqual({ code: 'NOTHING_DUE', field: 'channel' });

    const p = t.spender.pay(w.node.publicKey.bytes, 7_777n);
    await w.book.accept(p.receipt, p.authorization, 7_777n);
    expect(w.book.due({ threshold: 7_777n, maxAgeMs: 1e9, deadlineMarginMs: 0 })).toMatchObject([{ unsettled: 7_777n, reason: 'threshold' }]);
    expect(t.settle(0)).toBe(7_777n);
    expect(w.book.settled(t.id, t.paidTo(0))).toBe(0n);
  });

  it('builds the fields the payout account signs, carrying the latest receipt and its authorisation', async () => {
    const t = channelWorld(ABC);
    const w = t.workers[1]!;
    const p = t.spender.pay(w.node.publicKey.bytes, 5n);
    await w.book.accept(p.receipt, p.authorization, 5n);
    const fields = w.book.settleFields(t.id, { chain: t.c.chainId, nonce: 4n, fee: 2n });
    expect(fields).toEqual(settleFields(p.receipt, p.authorization, { chain: t.c.chainId, nonce: 4n, fee: 2n }));
    expect(fields).toMatchObject({ kind: 'channel-settle', nonce: 4n, fee: 2n, body: { receipt: p.receipt, authorization: p.authorization } });
    const tx = decodeTx(w.book.settleTx(t.id, { chain: t.c.chainId, nonce: 4n, payout: w.payout }));
    expect(tx).toMatchObject({ kind: 'channel-settle', nonce: 4n, signer: { key: w.payout.publicKey } });
  });
});

describe('a client on the ledger (property)', () => {
  const step = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('pay' as const), payee: fc.integer({ min: 0, max: 1 }), amount: fc.bigInt({ min: 1n, max: 400n }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const), payee: fc.integer({ min: 0, max: 1 }) }) },
    // A receipt the session key signs past the spender, owing more than the escrow: the book must refuse it.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rogue' as const), payee: fc.integer({ min: 0, max: 1 }) }) },
  );

  it('is never charged beyond what it signed nor beyond its escrow', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 500n, max: 3_000n }), fc.array(step, { minLength: 1, maxLength: 25 }), async (escrow, steps) => {
        const t = channelWorld(escrow);
        const authBytes = encodeSessionAuthorization(t.auth);
        const start = t.balance(t.client);
        let rogueNonce = 1n << 40n;
        for (const s of steps) {
          const w = t.workers[s.payee]!;
          const payee = w.node.publicKey.bytes;
          if (s.kind === 'pay') {
            if (t.spender.total + s.amount > escrow) {
              expect(refusal(() => t.spender.pay(payee, s.amount)).code).toBe('OVER_ESCROW');
              continue;
            }
            const p = t.spender.pay(payee, s.amount);
            await w.book.accept(p.receipt, p.authorization, s.amount);
          } else if (s.kind === 'rogue') {
            rogueNonce += 1n;
            const r = encodeReceipt(signReceipt(t.session, { channel: t.id, payee, amount: escrow + 1n, nonce: rogueNonce }));
            expect(await rejection(w.book.accept(r, authBytes, 0n))).toMatchObject({ code: 'OVER_ESCROW' });
          } else if ((w.book.latest(t.id)?.amount ?? 0n) > t.paidTo(s.payee)) {
            t.settle(s.payee);
            w.book.settled(t.id, t.paidTo(s.payee));
          }
          const record = t.c.ledger.view().channel(t.id)!;
          for (const i of [0, 1]) expect(record.paid[i]).toBeLessThanOrEqual(t.spender.owed(t.workers[i]!.node.publicKey.bytes));
          expect(escrow - record.escrow).toBe(record.paid[0]! + record.paid[1]!);
        }
        // Settle everything left: each payee gets exactly what the client signed to it, the escrow the rest.
        for (const i of [0, 1]) if ((t.workers[i]!.book.latest(t.id)?.amount ?? 0n) > t.paidTo(i)) t.settle(i);
        for (const i of [0, 1]) expect(t.paidTo(i)).toBe(t.spender.owed(t.workers[i]!.node.publicKey.bytes));
        expect(t.c.ledger.view().channel(t.id)!.escrow).toBe(escrow - t.spender.total);
        expect(t.balance(t.client)).toBe(start);
        expect(t.c.ledger.view().account(t.client.address).bad).toBe(false);
        t.c.close();
        chain = undefined;
      }),
      { numRuns: 12 },
    );
  });
});
