/**
 * Both sides on SQLite files, closed and reopened mid-sequence, and reopened while the old handle is still open
 * (a process that died): nothing a book acknowledged is lost, nothing it did not acknowledge appears, a spender
 * never reuses a nonce nor signs a lower amount, and a stale spender is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeReceipt } from '../../../../../node/ledger/index.ts';
import {
  ChannelSpender,
  ReceiptBook,
  type Scheduler,
  SqliteBookStore,
  SqliteSpenderStore,
} from '../../../../../node/worker/payments/index.ts';
import { manualScheduler, nodeKey, refusal, world, type World } from './payments-fixtures.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const paths = () => {
  dir = mkdtempSync(join(tmpdir(), 'ame-payments-'));
  return { spender: join(dir, 'spender.sqlite'), book: join(dir, 'book.sqlite') };
};

const openSpender = (w: World, path: string) =>
  new ChannelSpender({ channel: w.channel, session: w.session, authorization: w.auth, store: SqliteSpenderStore.open(path), now: w.clock.now });
const openBook = (w: World, path: string, schedule?: Scheduler) =>
  new ReceiptBook({
    self: nodeKey(0).publicKey.bytes,
    store: SqliteBookStore.open(path),
    channels: w.view,
    now: w.clock.now,
    ...(schedule === undefined ? {} : { schedule }),
  });

describe('payments across restarts', () => {
  it('close and reopen both sides mid-sequence: every acknowledged receipt kept, no nonce reused', async () => {
    const w = world({ escrow: 1_000_000n });
    const files = paths();
    const payee = w.payees[0]!;
    const nonces: bigint[] = [];
    let acked: { amount: bigint; nonce: bigint } | undefined;
    let signed = 0n;
    for (let life = 0; life < 4; life += 1) {
      const spenderStore = SqliteSpenderStore.open(files.spender);
      const spender = new ChannelSpender({ channel: w.channel, session: w.session, authorization: w.auth, store: spenderStore, now: w.clock.now });
      const book = openBook(w, files.book);
      // What the last life acknowledged and signed is what this one starts from.
      expect(spender.owed(payee)).toBe(signed);
      expect(book.latest(w.channel.id)).toMatchObject(acked ?? {});
      if (acked === undefined) expect(book.latest(w.channel.id)).toBeUndefined();
      for (let i = 0; i < 15; i += 1) {
        const price = BigInt(1 + life * 15 + i);
        const p = spender.pay(payee, price);
        nonces.push(p.fields.nonce);
        signed += price;
        const result = await book.accept(p.receipt, p.authorization, price);
        acked = { amount: result.amount, nonce: result.nonce };
      }
      spenderStore.close();
      book.close();
    }
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(nonces).toEqual([...nonces].sort((a, b) => (a < b ? -1 : 1)));
    expect(acked?.amount).toBe(signed);
  });

  it('a died book leaves on disk exactly what it acknowledged', async () => {
    const w = world();
    const files = paths();
    const spender = openSpender(w, files.spender);
    const sched = manualScheduler();
    const book = openBook(w, files.book, sched.schedule);
    const acked = spender.pay(w.payees[0]!, 5n);
    const first = book.accept(acked.receipt, acked.authorization, 5n);
    sched.tick();
    await first;
    const unacked = spender.pay(w.payees[0]!, 5n);
    let resolved = false;
    void book.accept(unacked.receipt, unacked.authorization, 5n).then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    // The process dies here: a new one opens the same file while the old handle never wrote again.
    const reborn = openBook(w, files.book);
    expect(reborn.latest(w.channel.id)?.receipt).toEqual(acked.receipt);
    // The client resends what was never acknowledged; the new book takes it.
    await expect(reborn.accept(unacked.receipt, unacked.authorization, 5n)).resolves.toMatchObject({ amount: 10n });
    reborn.close();
    sched.tick();
    await new Promise((r) => setImmediate(r));
    book.close();
  });

  it('a spender reopened after a crash continues above every nonce handed out; the stale one is refused', () => {
    const w = world();
    const files = paths();
    const old = openSpender(w, files.spender);
    const handed = [old.pay(w.payees[0]!, 4n), old.pay(w.payees[1]!, 6n), old.pay(w.payees[0]!, 1n)];
    // No close: the old process died with its handle open.
    const reborn = openSpender(w, files.spender);
    expect(reborn.nextNonce).toBe(4n);
    expect(reborn.owed(w.payees[0]!)).toBe(5n);
    expect(reborn.owed(w.payees[1]!)).toBe(6n);
    const next = reborn.pay(w.payees[0]!, 2n);
    expect(next.fields).toMatchObject({ amount: 7n, nonce: 4n });
    expect(handed.map((p) => decodeReceipt(p.receipt).fields.nonce)).toEqual([1n, 2n, 3n]);
    expect(refusal(() => old.pay(w.payees[0]!, 1n))).toEqual({ code: 'STATE_CONFLICT', field: 'nonce' });
    expect(old.nextNonce).toBe(4n);
  });

  it('keeps what the ledger paid across a reopen', async () => {
    const w = world();
    const files = paths();
    const spender = openSpender(w, files.spender);
    const book = openBook(w, files.book);
    for (let i = 0; i < 3; i += 1) {
      const p = spender.pay(w.payees[0]!, 10n);
      await book.accept(p.receipt, p.authorization, 10n);
    }
    book.settled(w.channel.id, 20n);
    book.close();
    const reopened = openBook(w, files.book);
    expect(reopened.latest(w.channel.id)).toMatchObject({ amount: 30n, paid: 20n });
    expect(refusal(() => reopened.settled(w.channel.id, 40n)).code).toBe('BAD_VALUE');
    reopened.close();
  });
});
