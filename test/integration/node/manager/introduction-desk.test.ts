/**
 * The manager's introduction desk over real libp2p on loopback (the receipt book a SQLite file in a temporary
 * folder): a client pays the introduction fee with a receipt on its Manager Ring channel — whose record the test
 * holds as the ledger's view, with the manager's node key as a payee — and gets a signed introduction to the Unity
 * owning its key. Every refusal is a typed WorkerError and charges nothing: the book's latest receipt and the
 * desk's earnings move only with an introduction given.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { introduce } from '../../../../node/client/introductions.ts';
import { authorizeSession, ecdsaAccountKey, Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { defaultParams } from '../../../../node/ledger/params.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { createHost, type Host, type PeerRef } from '../../../../node/net/index.ts';
import { IntroductionDesk, openIntroductionBook, type Located } from '../../../../node/manager/introduction-desk.ts';
import type { WorkerError } from '../../../../node/worker/errors.ts';
import { decodeIntroduction, verifyIntroduction } from '../../../../node/worker/introduction.ts';
import {
  INTRODUCE_METHOD,
  introduceReply,
  introduceRequest,
  WORKERS_METHOD,
  workersReply,
  workersRequest,
} from '../../../../node/worker/introduction-protocol.ts';
import {
  type ChannelInfo,
  ChannelSpender,
  MemorySpenderStore,
  type Payment,
  type ReceiptBook,
  type SpenderChannel,
} from '../../../../node/worker/payments/index.ts';
import { mutation } from '../../../support/mutation.ts';
import { remoteRefusal } from '../../../support/error-code.ts';

const seed = (label: string) => sha256(utf8(`introduction desk ${label}`));
const FEE = defaultParams.introductionFee;
const CHAIN = seed('genesis');
const UNITY = 'unity-7';

interface Rig {
  readonly dir: string;
  readonly manager: Host;
  readonly clientHost: Host;
  readonly managerKey: Ed25519KeyPair;
  readonly other: Ed25519KeyPair;
  readonly account: string;
  readonly channel: SpenderChannel;
  readonly channels: Map<string, ChannelInfo>;
  readonly book: ReceiptBook;
  readonly desk: IntroductionDesk;
  readonly servers: PeerRef[];
  /** Replaces what the desk's `locate` does. */
  locate: (key: Uint8Array) => Promise<Located>;
  readonly located: Uint8Array[];
  /** A client's spender on the channel (or another one), each with its own state. */
  spender(channel?: SpenderChannel): ChannelSpender;
  stop(): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function startRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'ame-introduction-desk-'));
  const managerKey = Ed25519KeyPair.fromSeed(seed('manager'));
  const other = Ed25519KeyPair.fromSeed(seed('other manager'));
  const manager = createHost({ nodeKey: managerKey });
  const clientHost = createHost({ nodeKey: Ed25519KeyPair.fromSeed(seed('client host')) });
  const accountKey = ecdsaAccountKey(seed('client account'));
  const session = Ed25519KeyPair.fromSeed(seed('session'));
  const authorization = authorizeSession(accountKey, session.publicKey, Date.now() + 24 * 3_600_000);
  const escrow = 1n << 50n;
  const channel: SpenderChannel = { id: seed('ring channel'), escrow, payees: [managerKey.publicKey.bytes, other.publicKey.bytes], currency: 'ABC' };
  const channels = new Map<string, ChannelInfo>();
  channels.set(toHex(channel.id), { client: accountKey.address, status: 'open', escrow, payees: channel.payees, paid: [0n, 0n], closeAt: 0n });
  const view = (id: Uint8Array) => channels.get(toHex(id));
  const book = openIntroductionBook(dir, managerKey.publicKey.bytes, view, Date.now);
  const servers: PeerRef[] = [{ id: clientHost.id, addrs: [] }];
  const located: Uint8Array[] = [];
  const desk = new IntroductionDesk({
    rpc: manager.rpc,
    nodeKey: managerKey,
    chain: CHAIN,
    book,
    channels: view,
    fee: () => FEE,
    locate: (key) => r.locate(key),
    now: Date.now,
  });
  const r: Rig = {
    dir,
    manager,
    clientHost,
    managerKey,
    other,
    account: accountKey.address,
    channel,
    channels,
    book,
    servers,
    located,
    locate: (key) => {
      located.push(key);
      return Promise.resolve({ unity: UNITY, epoch: 3n, servers });
    },
    desk,
    spender: (c = channel) => new ChannelSpender({ channel: c, session, authorization, store: new MemorySpenderStore(), now: Date.now }),
    async stop() {
      desk.detach();
      await Promise.all([clientHost.stop(), manager.stop()]);
      book.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  desk.attach();
  await Promise.all([manager.start(), clientHost.start()]);
  return r;
}

const keyOf = (label: string) => seed(`key ${label}`);

function body(pay: Payment, key = keyOf('a'), kind = 'blob'): Uint8Array {
  return introduceRequest.encode({ key, kind, pay: { receipt: pay.receipt, authorization: pay.authorization } });
}

const ask = (r: Rig, bytes: Uint8Array) => r.clientHost.rpc.request(r.manager.peer, INTRODUCE_METHOD, bytes);

const refusal = remoteRefusal;

const owed = (r: Rig) => r.book.latest(r.channel.id)?.amount ?? 0n;

describe('the manager introduction desk', () => {
  it('introduces a paying client to the Unity owning its key, signed by the manager and naming the channel’s client', async () => {
    const r = (rig = await startRig());
    const spender = r.spender();
    const key = keyOf('blob 1');
    const reply = introduceReply.decode(await ask(r, body(spender.pay(r.managerKey.publicKey.bytes, FEE), key, 'mail')));
    expect(reply.unity).toBe(UNITY);
    expect(reply.epoch).toBe(3n);
    expect(reply.servers).toEqual(r.servers);
    expect(toHex(r.located[0]!)).toBe(toHex(key));

    const signed = decodeIntroduction(reply.introduction);
    const now = Date.now();
    const intro = verifyIntroduction(signed, { chain: CHAIN, managers: [r.managerKey.publicKey.bytes], now, unity: UNITY });
    expect(intro.client).toBe(r.account);
    expect(toHex(intro.key)).toBe(toHex(key));
    expect(toHex(intro.manager)).toBe(toHex(r.managerKey.publicKey.bytes));
    // Valid for a session (10 minutes), not longer.
    expect(intro.expires).toBeGreaterThan(now + 590_000);
    expect(intro.expires).toBeLessThanOrEqual(now + 600_000);
    // …and only where it should be: another Unity, another manager set, later than the session.
    const fails = (check: Parameters<typeof verifyIntroduction>[1]) => {
      try {
        verifyIntroduction(signed, check);
      } catch (error) {
        return (error as WorkerError).code;
      }
      return undefined;
    };
    expect(fails({ chain: CHAIN, managers: [r.managerKey.publicKey.bytes], now, unity: 'unity-8' })).toBe('WRONG_UNITY');
    expect(fails({ chain: CHAIN, managers: [r.other.publicKey.bytes], now, unity: UNITY })).toBe('NOT_MANAGER');
    expect(fails({ chain: CHAIN, managers: [r.managerKey.publicKey.bytes], now: now + 601_000, unity: UNITY })).toBe('EXPIRED');
    expect(r.desk.stats()).toEqual({ introduced: 1, refused: 0, earned: FEE });
  });

  it('charges exactly the fee per introduction: after n, the book’s latest receipt owes n × fee and stats().earned equals it', async () => {
    const r = (rig = await startRig());
    const spender = r.spender();
    const n = 5;
    for (let i = 0; i < n; i++) {
      introduceReply.decode(await ask(r, body(spender.pay(r.managerKey.publicKey.bytes, FEE), keyOf(`n ${i}`))));
    }
    const latest = r.book.latest(r.channel.id);
    expect(latest?.amount).toBe(BigInt(n) * FEE);
    expect(latest?.nonce).toBe(spender.nextNonce - 1n);
    expect(r.desk.stats()).toEqual({ introduced: n, refused: 0, earned: BigInt(n) * FEE });
  });

  it('serves the client flow of node/client: the client pays, the index server accepts the introduction', async () => {
    const r = (rig = await startRig());
    const offered: PeerRef[] = [{ id: r.manager.id, addrs: [] }];
    // The client's host stands in for the Unity's index server: it answers only an introduction that verifies.
    r.clientHost.rpc.handle(WORKERS_METHOD, async (bytes) => {
      const request = workersRequest.decode(bytes);
      const check = { chain: CHAIN, managers: [r.managerKey.publicKey.bytes], now: Date.now(), unity: UNITY };
      verifyIntroduction(decodeIntroduction(request.introduction), check);
      return workersReply.encode({ offer: offered });
    });
    const spender = r.spender();
    const done = await introduce({ rpc: r.clientHost.rpc, managers: [r.manager.peer], spender, fee: FEE }, keyOf('flow'), 'blob');
    expect(done.unity).toBe(UNITY);
    expect(done.offer).toEqual(offered);
    expect(owed(r)).toBe(FEE);
    r.clientHost.rpc.unhandle(WORKERS_METHOD);
  });

  it('refuses an underpaid, a replayed and a misdirected receipt with the book’s code, charging nothing', async () => {
    const r = (rig = await startRig());
    const spender = r.spender();
    const me = r.managerKey.publicKey.bytes;
    const first = body(spender.pay(me, FEE));
    await ask(r, first);
    expect(owed(r)).toBe(FEE);

    expect(await refusal(ask(r, body(spender.pay(me, FEE - 1n))))).toBe('WorkerError:UNDERPAID');
    expect(owed(r)).toBe(FEE);
    expect(await refusal(ask(r, first))).toBe('WorkerError:REPLAY');
    expect(owed(r)).toBe(FEE);
    // A receipt to the channel's other payee, and a channel that does not list this manager at all.
    expect(await refusal(ask(r, body(spender.pay(r.other.publicKey.bytes, FEE))))).toBe('WorkerError:WRONG_PAYEE');
    const foreign: SpenderChannel = { ...r.channel, id: seed('foreign channel'), payees: [r.other.publicKey.bytes] };
    r.channels.set(toHex(foreign.id), { ...r.channels.get(toHex(r.channel.id))!, payees: foreign.payees, paid: [0n] });
    expect(await refusal(ask(r, body(r.spender(foreign).pay(r.other.publicKey.bytes, FEE))))).toBe('WorkerError:WRONG_PAYEE');
    expect(r.book.latest(foreign.id)).toBeUndefined();
    expect(owed(r)).toBe(FEE);
    expect(r.desk.stats()).toEqual({ introduced: 1, refused: 4, earned: FEE });

    // The underpaid receipt was never kept: the next one covers it (cumulative), and is earned in full.
    await ask(r, body(spender.pay(me, FEE)));
    expect(owed(r)).toBe(FEE + FEE - 1n + FEE);
    expect(r.desk.stats().earned).toBe(owed(r));
  });

  it('locates before it charges: a key it cannot place is refused NOT_FOUND and the same receipt pays the retry', async () => {
    const r = (rig = await startRig());
    const spender = r.spender();
    const request = body(spender.pay(r.managerKey.publicKey.bytes, FEE));
    const working = r.locate;
    r.locate = () => Promise.reject(new Error('the ring map is not loaded'));
    expect(await refusal(ask(r, request))).toBe('WorkerError:NOT_FOUND');
    expect(r.book.latest(r.channel.id)).toBeUndefined();
    // A Unity without servers, or one the reply cannot carry, likewise costs nothing.
    r.locate = () => Promise.resolve({ unity: UNITY, epoch: 3n, servers: [] });
    expect(await refusal(ask(r, request))).toBe('WorkerError:NOT_FOUND');
    r.locate = () => Promise.resolve({ unity: 'u'.repeat(81), epoch: 3n, servers: r.servers });
    expect(await refusal(ask(r, request))).toBe('WorkerError:NOT_FOUND');
    expect(r.book.latest(r.channel.id)).toBeUndefined();
    expect(r.desk.stats()).toEqual({ introduced: 0, refused: 3, earned: 0n });

    r.locate = working;
    const reply = introduceReply.decode(await ask(r, request));
    expect(reply.unity).toBe(UNITY);
    expect(owed(r)).toBe(FEE);
    expect(r.desk.stats()).toEqual({ introduced: 1, refused: 3, earned: FEE });
  });

  it('refuses a malformed body or key kind MALFORMED and keeps serving', async () => {
    const r = (rig = await startRig());
    const spender = r.spender();
    const me = r.managerKey.publicKey.bytes;
    expect(await refusal(ask(r, new Uint8Array([1, 2, 3])))).toBe('WorkerError:MALFORMED');
    expect(await refusal(ask(r, new Uint8Array(0)))).toBe('WorkerError:MALFORMED');
    expect(await refusal(ask(r, encodeCbor({ key: keyOf('x'), kind: 'blob' })))).toBe('WorkerError:MALFORMED');
    const pay = spender.pay(me, FEE);
    expect(await refusal(ask(r, body(pay, keyOf('x'), 'file')))).toBe('WorkerError:MALFORMED');
    expect(r.located).toHaveLength(0);
    expect(r.book.latest(r.channel.id)).toBeUndefined();
    // The receipt of the request refused for its kind was not kept either: it still pays.
    introduceReply.decode(await ask(r, body(pay)));
    expect(r.desk.stats()).toEqual({ introduced: 1, refused: 4, earned: FEE });
  });

  it('answers random bytes and mutated requests with a typed refusal, never a crash and never a charge (fast-check)', async () => {
    const r = (rig = await startRig());
    const spender = r.spender();
    const me = r.managerKey.publicKey.bytes;
    // Bases that can never be charged again: two receipts already accepted (any mutation that survives decoding is
    // a replay or breaks a signature) and one fresh receipt below the fee.
    const accepted = [body(spender.pay(me, FEE), keyOf('base 1')), body(spender.pay(me, FEE), keyOf('base 2'), 'mail')];
    for (const b of accepted) await ask(r, b);
    const underpaid = body(spender.pay(me, FEE - 1n), keyOf('base 3'));
    const before = { owed: owed(r), stats: r.desk.stats() };
    expect(before.owed).toBe(2n * FEE);

    const structured = fc
      .record({
        key: fc.uint8Array({ minLength: 0, maxLength: 40 }),
        kind: fc.oneof(fc.constantFrom('blob', 'mail'), fc.string({ maxLength: 10 })),
        receipt: fc.uint8Array({ maxLength: 200 }),
        authorization: fc.uint8Array({ maxLength: 200 }),
      })
      .map((v) => encodeCbor({ key: v.key, kind: v.kind, pay: { receipt: v.receipt, authorization: v.authorization } }));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      structured,
      ...accepted.map((b) => mutation(b)),
      mutation(underpaid),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        runs += 1;
        const code = await refusal(ask(r, bytes));
        expect(code).toMatch(/^WorkerError:[A-Z_]+$/);
        expect(owed(r)).toBe(before.owed);
      }),
      { numRuns: 150 },
    );
    expect(r.desk.stats()).toEqual({ ...before.stats, refused: before.stats.refused + runs });
    expect(r.book.list()).toHaveLength(1);

    // Still serving: the next receipt covers the refused underpaid one too.
    introduceReply.decode(await ask(r, body(spender.pay(me, FEE))));
    expect(owed(r)).toBe(2n * FEE + FEE - 1n + FEE);
    expect(r.desk.stats().earned).toBe(owed(r));
  });
});
