/**
 * The settling loop on a real ledger (TestChain): transactions it submits go into the next block, so the test sees
 * exactly what the Manager Ring would apply. A channel past the threshold is settled once, its payout recorded in
 * the book, and nothing is settled again until more is owed; a refused submission is retried from the ledger's
 * nonce; the payout account ends with exactly what the receipts say.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeSession, Ed25519KeyPair } from '../../../../../node/crypto/index.ts';
import { channelId } from '../../../../../node/ledger/index.ts';
import { ChannelSpender, MemoryBookStore, MemorySpenderStore, ReceiptBook, Settler } from '../../../../../node/worker/payments/index.ts';
import { ABC, accountKey, INVESTORS, TestChain } from '../../../../support/ledger-chain.ts';
import { seeded } from './payments-fixtures.ts';

let chain: TestChain | undefined;
afterEach(() => {
  chain?.close();
  chain = undefined;
});

function world(options: { failFirst?: number } = {}) {
  const c = (chain = new TestChain());
  const client = accountKey(INVESTORS);
  const node = Ed25519KeyPair.fromSeed(seeded('settler worker'));
  const payout = accountKey(20);
  const openNonce = c.accountNonces.get(client.address) ?? 0n;
  c.block([
    c.accountTx(payout, 'register', { node: node.publicKey.bytes, role: 'temporary', hardware: 'pi5' }, 0n, node),
    c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 2n * ABC, payees: [node.publicKey.bytes] }),
  ]);
  const id = channelId(c.chainId, client.address, openNonce);
  const now = () => Number(c.time);
  const channels = (channel: Uint8Array) => c.ledger.view().channel(channel);
  const session = Ed25519KeyPair.fromSeed(seeded('settler session'));
  const spender = new ChannelSpender({
    channel: { id, escrow: 2n * ABC, payees: [node.publicKey.bytes], currency: 'ABC' },
    session,
    authorization: authorizeSession(client, session.publicKey, 10_000_000),
    store: new MemorySpenderStore(),
    now,
  });
  const book = new ReceiptBook({ self: node.publicKey.bytes, store: new MemoryBookStore(), channels, now });
  const pool: Uint8Array[] = [];
  let failures = options.failFirst ?? 0;
  const settler = new Settler({
    book,
    self: node.publicKey.bytes,
    payout,
    chain: c.chainId,
    channels,
    nonce: () => c.ledger.finalView().account(payout.address).nonce,
    submit: async (tx) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('manager unreachable');
      }
      pool.push(tx);
    },
    policy: { threshold: 1_000n, maxAgeMs: 3_600_000, deadlineMarginMs: 60_000 },
    now,
  });
  const pay = async (amount: bigint) => {
    const p = spender.pay(node.publicKey.bytes, amount);
    await book.accept(p.receipt, p.authorization, amount);
  };
  /** The pool's transactions in one block, as the Manager Ring would decide them. */
  const decide = () => {
    const txs = pool.splice(0);
    return txs.length === 0 ? [] : c.block(txs).result.outcomes;
  };
  const balance = () => c.ledger.view().account(payout.address).abc;
  return { c, id, book, settler, pay, decide, balance };
}

describe('Settler', () => {
  it('settles a channel past the threshold once, records the payout, and settles again only when more is owed', async () => {
    const w = world();
    const start = w.balance();
    await w.pay(400n);
    expect((await w.settler.round()).submitted).toBe(0); // under the threshold
    await w.pay(700n);
    expect((await w.settler.round()).submitted).toBe(1);
    // In flight: not submitted twice before the ledger shows it.
    expect((await w.settler.round()).submitted).toBe(0);
    expect(w.decide()).toMatchObject([{ ok: true }]);
    const round = await w.settler.round();
    expect(round).toMatchObject({ submitted: 0, recorded: 1 });
    expect(w.book.latest(w.id)).toMatchObject({ amount: 1_100n, paid: 1_100n });
    expect(w.balance() - start).toBe(1_100n);

    await w.pay(2_000n);
    expect((await w.settler.round()).submitted).toBe(1);
    expect(w.decide()).toMatchObject([{ ok: true }]);
    await w.settler.round();
    expect(w.balance() - start).toBe(3_100n);
    expect(w.book.latest(w.id)?.paid).toBe(3_100n);
  });

  it('retries a refused submission from the ledger nonce, and a settlement decided twice pays once', async () => {
    const w = world({ failFirst: 1 });
    const start = w.balance();
    await w.pay(5_000n);
    expect(await w.settler.round()).toMatchObject({ submitted: 0, failed: 1 });
    expect(await w.settler.round()).toMatchObject({ submitted: 1, failed: 0 });
    expect(w.decide()).toMatchObject([{ ok: true }]);
    await w.settler.round();
    expect(w.balance() - start).toBe(5_000n);
    expect(w.settler.stats).toMatchObject({ submitted: 1, failures: 1, inFlight: 0 });
    expect(w.book.due({ threshold: 1n, maxAgeMs: 1, deadlineMarginMs: 1 })).toEqual([]);
  });
});
