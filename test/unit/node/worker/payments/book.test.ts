/**
 * ReceiptBook: checks each receipt, keeps the latest per channel, acknowledges after a group commit, refuses
 * replays, forgeries, wrong payees and channels, expired authorisations and lower amounts with the field named,
 * and then stores nothing; arbitrary or mutated bytes give typed errors only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizeSession,
  Ed25519KeyPair,
  encodeSessionAuthorization,
  sessionAuthorizationMessage,
  verifyAny,
  type VerifySig,
} from '../../../../../node/crypto/index.ts';
import { encodeReceipt, type ReceiptFields, signReceipt } from '../../../../../node/ledger/index.ts';
import { WorkerError } from '../../../../../node/worker/errors.ts';
import {
  type BookStore,
  ChannelSpender,
  MemoryBookStore,
  MemorySpenderStore,
  ReceiptBook,
  receiptHash,
  type Scheduler,
} from '../../../../../node/worker/payments/index.ts';
import { accountOf, HOUR, manualScheduler, nodeKey, refusal, rejection, seeded, world, type World } from './payments-fixtures.ts';

function spender(w: World): ChannelSpender {
  return new ChannelSpender({ channel: w.channel, session: w.session, authorization: w.auth, store: new MemorySpenderStore(), now: w.clock.now });
}

interface BookOptions {
  payee?: number;
  store?: BookStore;
  schedule?: Scheduler;
  maxGroup?: number;
  verify?: VerifySig;
}

function book(w: World, options: BookOptions = {}): ReceiptBook {
  return new ReceiptBook({
    self: nodeKey(options.payee ?? 0).publicKey.bytes,
    store: options.store ?? new MemoryBookStore(),
    channels: w.view,
    now: w.clock.now,
    ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
    ...(options.maxGroup === undefined ? {} : { maxGroup: options.maxGroup }),
    ...(options.verify === undefined ? {} : { verify: options.verify }),
  });
}


/** A receipt the client's session key signs directly, bypassing the spender's checks. */
function rawReceipt(w: World, fields: Partial<ReceiptFields>, key = w.session): Uint8Array {
  return encodeReceipt(
    signReceipt(key, { channel: w.channel.id, payee: w.payees[0]!, amount: 0n, nonce: 1n, ...fields }),
  );
}

const snapshot = (b: ReceiptBook) => b.list().map((e) => ({ ...e }));

describe('ReceiptBook round trip with a ChannelSpender', () => {
  it('accepts many payments to two payees, each acknowledged with its hash, latest = what the client signed', async () => {
    const w = world({ escrow: 10_000_000n });
    const s = spender(w);
    const stores = [new MemoryBookStore(), new MemoryBookStore()] as const;
    const books = [book(w, { payee: 0, store: stores[0] }), book(w, { payee: 1, store: stores[1] })];
    let accepted = 0;
    for (let round = 0; round < 30; round += 1) {
      // A burst per round: the accepts of one turn share a commit.
      const burst = Array.from({ length: 10 }, (_, i) => {
        const which = (round + i) % 3 === 0 ? 1 : 0;
        const price = BigInt(1 + ((round * 7 + i) % 50));
        const payment = s.pay(w.payees[which]!, price);
        return books[which]!.accept(payment.receipt, payment.authorization, price).then((result) => {
          expect(result.hash).toEqual(receiptHash(payment.receipt));
          expect(result).toMatchObject({ amount: payment.fields.amount, nonce: payment.fields.nonce, earned: price });
          accepted += 1;
        });
      });
      await Promise.all(burst);
    }
    expect(accepted).toBe(300);
    for (const [i, b] of books.entries()) {
      const latest = b.latest(w.channel.id)!;
      expect(latest.amount).toBe(s.owed(w.payees[i]!));
      expect(latest.paid).toBe(0n);
      expect(b.list()).toHaveLength(1);
    }
    // 30 bursts, one commit each per book that received something in it.
    expect(stores[0].commits + stores[1].commits).toBeLessThanOrEqual(60);
    expect(stores[0].commits).toBeGreaterThan(0);
  });

  it('acknowledges a group only after its single commit', async () => {
    const w = world();
    const s = spender(w);
    const sched = manualScheduler();
    const store = new MemoryBookStore();
    const b = book(w, { store, schedule: sched.schedule });
    let resolved = 0;
    const payments = Array.from({ length: 5 }, () => s.pay(w.payees[0]!, 2n));
    const promises = payments.map((p) => b.accept(p.receipt, p.authorization, 2n).then(() => (resolved += 1)));
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(0);
    expect(store.commits).toBe(0);
    expect(b.pending).toBe(5);
    // The next receipt is checked against the waiting ones already: a replay of the last is refused.
    expect(b.latest(w.channel.id)?.nonce).toBe(5n);
    expect(await rejection(b.accept(payments[4]!.receipt, payments[4]!.authorization, 0n))).toMatchObject({ code: 'REPLAY' });
    sched.tick();
    await Promise.all(promises);
    expect(resolved).toBe(5);
    expect(store.commits).toBe(1);
    expect(store.load()[0]?.receipt).toEqual(b.latest(w.channel.id)?.receipt);
  });

  it('flushes what waits on close and is CLOSED afterwards', async () => {
    const w = world();
    const s = spender(w);
    const sched = manualScheduler();
    const store = new MemoryBookStore();
    const b = book(w, { store, schedule: sched.schedule });
    const p = s.pay(w.payees[0]!, 2n);
    const ack = b.accept(p.receipt, p.authorization, 2n);
    b.close();
    await expect(ack).resolves.toMatchObject({ amount: 2n });
    expect(store.commits).toBe(1);
    const q = s.pay(w.payees[0]!, 2n);
    expect(await rejection(b.accept(q.receipt, q.authorization, 2n))).toMatchObject({ code: 'CLOSED' });
  });
});

describe('ReceiptBook refusals', () => {
  async function setup() {
    const w = world({ escrow: 1_000n });
    const s = spender(w);
    const store = new MemoryBookStore();
    const b = book(w, { store });
    const first = s.pay(w.payees[0]!, 10n);
    await b.accept(first.receipt, first.authorization, 10n);
    return { w, s, b, store, first };
  }

  /** Refused with this code and field, and the book and its store unchanged. */
  async function refused(
    ctx: { b: ReceiptBook; store: MemoryBookStore },
    call: Promise<unknown>,
    code: string,
    field: string,
  ): Promise<void> {
    const before = snapshot(ctx.b);
    const commits = ctx.store.commits;
    expect(await rejection(call)).toEqual({ code, field });
    await new Promise((r) => setImmediate(r));
    expect(snapshot(ctx.b)).toEqual(before);
    expect(ctx.store.commits).toBe(commits);
    expect(ctx.b.pending).toBe(0);
  }

  it('refuses a replay of the latest receipt and of an older one', async () => {
    const ctx = await setup();
    await refused(ctx, ctx.b.accept(ctx.first.receipt, ctx.first.authorization, 0n), 'REPLAY', 'receipt.nonce');
    const second = ctx.s.pay(ctx.w.payees[0]!, 10n);
    await ctx.b.accept(second.receipt, second.authorization, 10n);
    await refused(ctx, ctx.b.accept(ctx.first.receipt, ctx.first.authorization, 0n), 'REPLAY', 'receipt.nonce');
  });

  it('refuses a forged receipt and a forged authorisation', async () => {
    const ctx = await setup();
    const forger = Ed25519KeyPair.fromSeed(seeded('forger'));
    const forged = rawReceipt(ctx.w, { amount: 500n, nonce: 99n }, forger);
    await refused(ctx, ctx.b.accept(forged, ctx.first.authorization, 10n), 'BAD_SIGNATURE', 'receipt.sig');
    // The client's account fields, signed by someone else's key.
    const stranger = accountOf('stranger');
    const fakeAuth = { ...ctx.w.auth, signature: stranger.sign(sessionAuthorizationMessage(ctx.w.auth)) };
    const honest = rawReceipt(ctx.w, { amount: 500n, nonce: 99n });
    await refused(ctx, ctx.b.accept(honest, encodeSessionAuthorization(fakeAuth), 10n), 'BAD_SIGNATURE', 'authorization.signature');
    // A real authorisation of another account, for the forger's session key.
    const otherAuth = encodeSessionAuthorization(authorizeSession(stranger, forger.publicKey, ctx.w.auth.expiresAt));
    await refused(ctx, ctx.b.accept(forged, otherAuth, 10n), 'WRONG_CLIENT', 'authorization.account');
  });

  it("refuses a receipt for another payee, another node's book, an unknown or closing channel", async () => {
    const ctx = await setup();
    const toB = ctx.s.pay(ctx.w.payees[1]!, 10n);
    await refused(ctx, ctx.b.accept(toB.receipt, toB.authorization, 10n), 'WRONG_PAYEE', 'receipt.payee');
    const unknown = rawReceipt(ctx.w, { channel: seeded('no such channel'), amount: 50n, nonce: 50n });
    await refused(ctx, ctx.b.accept(unknown, ctx.first.authorization, 10n), 'UNKNOWN_CHANNEL', 'receipt.channel');
    const outsider = book(ctx.w, { payee: 7 });
    const toOutsider = rawReceipt(ctx.w, { payee: nodeKey(7).publicKey.bytes, amount: 50n, nonce: 50n });
    expect(await rejection(outsider.accept(toOutsider, ctx.first.authorization, 10n))).toEqual({
      code: 'WRONG_PAYEE',
      field: 'receipt.payee',
    });
    ctx.w.setChannel({ status: 'closing', closeAt: BigInt(ctx.w.clock.now() + HOUR) });
    const late = ctx.s.pay(ctx.w.payees[0]!, 10n);
    await refused(ctx, ctx.b.accept(late.receipt, late.authorization, 10n), 'CHANNEL_CLOSED', 'receipt.channel');
  });

  it('refuses a receipt under an expired authorisation', async () => {
    const ctx = await setup();
    const next = ctx.s.pay(ctx.w.payees[0]!, 10n);
    ctx.w.clock.advance(24 * HOUR);
    await refused(ctx, ctx.b.accept(next.receipt, next.authorization, 10n), 'EXPIRED', 'authorization.expiresAt');
  });

  it('refuses a lower amount, one short of the price, and more than the escrow can pay', async () => {
    const ctx = await setup();
    const lower = rawReceipt(ctx.w, { amount: 9n, nonce: 20n });
    await refused(ctx, ctx.b.accept(lower, ctx.first.authorization, 0n), 'UNDERPAID', 'receipt.amount');
    const short = rawReceipt(ctx.w, { amount: 14n, nonce: 20n });
    await refused(ctx, ctx.b.accept(short, ctx.first.authorization, 5n), 'UNDERPAID', 'receipt.amount');
    const over = rawReceipt(ctx.w, { amount: 1_001n, nonce: 20n });
    await refused(ctx, ctx.b.accept(over, ctx.first.authorization, 5n), 'OVER_ESCROW', 'receipt.amount');
    const exact = rawReceipt(ctx.w, { amount: 15n, nonce: 20n });
    await expect(ctx.b.accept(exact, ctx.first.authorization, 5n)).resolves.toMatchObject({ earned: 5n, unsettled: 15n });
  });

  it('refuses bytes that do not decode and a bad price', async () => {
    const ctx = await setup();
    const next = ctx.s.pay(ctx.w.payees[0]!, 10n);
    await refused(ctx, ctx.b.accept(next.receipt.slice(1), next.authorization, 10n), 'MALFORMED', 'receipt');
    await refused(ctx, ctx.b.accept(next.receipt, next.authorization.slice(0, -1), 10n), 'MALFORMED', 'authorization');
    await refused(ctx, ctx.b.accept(next.receipt, next.authorization, -1n), 'BAD_VALUE', 'price');
    await expect(ctx.b.accept(next.receipt, next.authorization, 10n)).resolves.toMatchObject({ amount: 20n });
  });

  it('counts what the ledger already paid as the floor of a fresh book', async () => {
    const w = world();
    w.setChannel({ paid: [100n, 0n], escrow: w.channel.escrow - 100n });
    const b = book(w);
    const below = rawReceipt(w, { amount: 104n, nonce: 1n });
    expect(await rejection(b.accept(below, encodeSessionAuthorization(w.auth), 5n))).toEqual({
      code: 'UNDERPAID',
      field: 'receipt.amount',
    });
    const enough = rawReceipt(w, { amount: 105n, nonce: 2n });
    await expect(b.accept(enough, encodeSessionAuthorization(w.auth), 5n)).resolves.toMatchObject({ earned: 5n, unsettled: 5n });
    expect(b.latest(w.channel.id)?.paid).toBe(100n);
  });
});

describe('ReceiptBook durability failures', () => {
  it('refuses a whole group whose write fails, rolls back to what is on disk, and then accepts it again', async () => {
    const w = world();
    const s = spender(w);
    const inner = new MemoryBookStore();
    let failing = false;
    const store: BookStore = {
      load: () => inner.load(),
      write: (rows) => {
        if (failing) throw new Error('disk full');
        inner.write(rows);
      },
      close: () => inner.close(),
    };
    const sched = manualScheduler();
    const b = book(w, { store, schedule: sched.schedule });
    const first = s.pay(w.payees[0]!, 3n);
    const ack = b.accept(first.receipt, first.authorization, 3n);
    sched.tick();
    await ack;
    const group = [s.pay(w.payees[0]!, 3n), s.pay(w.payees[0]!, 3n)];
    const acks = group.map((p) => b.accept(p.receipt, p.authorization, 3n));
    failing = true;
    sched.tick();
    for (const a of acks) expect(await rejection(a)).toMatchObject({ code: 'STORE_FAILED' });
    expect(b.latest(w.channel.id)?.nonce).toBe(first.fields.nonce);
    failing = false;
    const retry = b.accept(group[1]!.receipt, group[1]!.authorization, 3n);
    sched.tick();
    await expect(retry).resolves.toMatchObject({ amount: 9n, earned: 6n });
    expect(inner.load()[0]?.receipt).toEqual(group[1]!.receipt);
  });
});

describe('ReceiptBook.settled', () => {
  it('records the ledger total once, idempotently, and refuses a total above the receipt', async () => {
    const w = world();
    const s = spender(w);
    const store = new MemoryBookStore();
    const b = book(w, { store });
    for (let i = 0; i < 3; i += 1) {
      const p = s.pay(w.payees[0]!, 10n);
      await b.accept(p.receipt, p.authorization, 10n);
    }
    expect(b.settled(w.channel.id, 20n)).toBe(10n);
    expect(b.settled(w.channel.id, 20n)).toBe(10n);
    expect(b.settled(w.channel.id, 5n)).toBe(10n); // an older total never lowers what was paid
    expect(store.load()[0]?.paid).toBe(20n);
    expect(refusal(() => b.settled(w.channel.id, 31n))).toEqual({ code: 'BAD_VALUE', field: 'paidTotal' });
    expect(b.settled(w.channel.id, 30n)).toBe(0n);
    expect(b.latest(w.channel.id)?.since).toBeNull();
    expect(refusal(() => b.settled(seeded('nope'), 1n))).toEqual({ code: 'UNKNOWN_CHANNEL', field: 'channel' });
  });
});

describe('ReceiptBook.accept on arbitrary and mutated bytes (property)', () => {
  // The book promises WorkerError only (a LedgerError from below is its cause), stricter than "a typed error".
  const typed = (error: unknown): boolean => error instanceof WorkerError;

  async function unchangedAfter(b: ReceiptBook, store: MemoryBookStore, receipt: Uint8Array, auth: Uint8Array): Promise<boolean> {
    const before = snapshot(b);
    const commits = store.commits;
    try {
      await b.accept(receipt, auth, 1n);
    } catch (error) {
      if (!typed(error)) throw error;
      expect(snapshot(b)).toEqual(before);
      expect(store.commits).toBe(commits);
      return true;
    }
    return false;
  }

  /** Changes `bytes` for sure: a flipped bit pattern, a cut, or bytes added. */
  const mutation = (bytes: Uint8Array) =>
    fc.oneof(
      fc.record({ at: fc.nat(bytes.length - 1), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
        const out = Uint8Array.from(bytes);
        out[at]! ^= xor;
        return out;
      }),
      fc.nat(bytes.length - 1).map((n) => bytes.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => Uint8Array.from([...bytes, ...tail])),
    );

  it('gives only typed errors for arbitrary bytes and never changes the stored state', async () => {
    const w = world();
    const s = spender(w);
    const store = new MemoryBookStore();
    const b = book(w, { store });
    const p = s.pay(w.payees[0]!, 1n);
    await b.accept(p.receipt, p.authorization, 1n);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (r, a, realAuth) => {
        expect(await unchangedAfter(b, store, r, realAuth ? p.authorization : a)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every mutation of a valid receipt or authorisation, with typed errors, storing nothing', async () => {
    const w = world();
    const s = spender(w);
    const store = new MemoryBookStore();
    const b = book(w, { store });
    const p = s.pay(w.payees[0]!, 1n);
    await b.accept(p.receipt, p.authorization, 1n);
    const next = s.pay(w.payees[0]!, 1n);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutation(next.receipt).map((r) => [r, next.authorization] as const),
          mutation(next.authorization).map((a) => [next.receipt, a] as const),
        ),
        async ([r, a]) => {
          expect(await unchangedAfter(b, store, r, a)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    // The unmutated pair was acceptable all along.
    await expect(b.accept(next.receipt, next.authorization, 1n)).resolves.toMatchObject({ amount: 2n });
  });
});

describe('ReceiptBook verifies every receipt', () => {
  // No receipt is taken on trust after an earlier one verified: an audit judges a logged request whose receipt does
  // not verify as cheating, so a forgery anywhere in a session must be refused when it arrives.
  it('refuses a forged receipt at any position of a session, taking every other one', async () => {
    const forger = Ed25519KeyPair.fromSeed(seeded('forger'));
    for (const at of [1, 2, 3, 7, 16, 31]) {
      const w = world({ escrow: 1_000_000n });
      const store = new MemoryBookStore();
      const b = book(w, { store });
      const auth = encodeSessionAuthorization(w.auth);
      const outcomes: string[] = [];
      for (let i = 0; i < 32; i += 1) {
        const fields = { amount: BigInt(10 * (i + 1)), nonce: BigInt(i + 1) };
        const receipt = i === at ? rawReceipt(w, fields, forger) : rawReceipt(w, fields);
        outcomes.push(await b.accept(receipt, auth, 10n).then(() => 'ok', (error: WorkerError) => `${error.code} ${error.field}`));
      }
      expect(outcomes.filter((o) => o !== 'ok')).toEqual(['BAD_SIGNATURE receipt.sig']);
      expect(outcomes[at]).toBe('BAD_SIGNATURE receipt.sig');
      expect(b.latest(w.channel.id)?.amount).toBe(at === 31 ? 310n : 320n);
    }
  });

  it('checks an authorisation in full until it passes, then once; a forged one every time, never remembered', async () => {
    const w = world({ escrow: 1_000_000n });
    let accountChecks = 0;
    const verify: VerifySig = (scheme, key, message, sig) => {
      if (scheme !== 'ed25519') accountChecks += 1;
      return verifyAny(scheme, key, message, sig);
    };
    const b = book(w, { verify });
    const stranger = accountOf('stranger');
    const fakeAuth = encodeSessionAuthorization({ ...w.auth, signature: stranger.sign(sessionAuthorizationMessage(w.auth)) });
    const auth = encodeSessionAuthorization(w.auth);
    for (let i = 1; i <= 3; i += 1) {
      expect(await rejection(b.accept(rawReceipt(w, { amount: 10n, nonce: 1n }), fakeAuth, 10n))).toEqual({
        code: 'BAD_SIGNATURE',
        field: 'authorization.signature',
      });
      expect(accountChecks).toBe(i);
    }
    for (let i = 1; i <= 5; i += 1) await b.accept(rawReceipt(w, { amount: 10n * BigInt(i), nonce: BigInt(i) }), auth, 10n);
    expect(accountChecks).toBe(4);
    // Known good bytes do not vouch for other bytes: the forged authorisation is still checked, and refused.
    expect(await rejection(b.accept(rawReceipt(w, { amount: 60n, nonce: 6n }), fakeAuth, 10n))).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(accountChecks).toBe(5);
  });
});
