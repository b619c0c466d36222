/**
 * Reputation on the ledger, through real blocks (TestChain checks the supply invariants after each): the
 * managers' `node-report` (counters, uptime buckets, cheating, refusals naming the field), client scores recorded
 * at settlement (the latest per channel), `promote` refusing a temporary worker short of any promotion rule
 * (NOT_ELIGIBLE naming it) and accepting one that meets them all, removal for cheating forfeiting every unreleased
 * option, and the ranking of replacement candidates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  authorizeSession,
  Ed25519KeyPair,
  encodeSessionAuthorization,
  sha256,
  utf8,
} from '../../../../node/crypto/index.ts';
import {
  channelId,
  encodeReceipt,
  nodeReputation,
  replacementCandidates,
  signManagerTx,
  signReceipt,
  type Tx,
  type TxBody,
} from '../../../../node/ledger/index.ts';
import {
  ABC,
  accountKey,
  INVESTORS,
  managerAccount,
  managerEntry,
  managerNode,
  MANAGER_COUNT,
  nodeKey,
  owned,
  refusal,
  RESEARCH,
  RESERVE,
  TestChain,
} from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => chain?.close());

type Entry = TxBody<'node-report'>['nodes'][number];
const OWNER = accountKey(RESEARCH);

/** A report entry with everything 0 but what is given. */
function entry(node: Ed25519KeyPair, x: Partial<Omit<Entry, 'node'>> = {}): Entry {
  const zero = { auditsPassed: 0n, auditsFailed: 0n, cheated: false, heartbeatsSeen: 0n, heartbeatsExpected: 0n, served: 0n };
  return { node: node.publicKey.bytes, ...zero, ...x };
}

/** A chain with temporary workers registered by OWNER (all at block time 1,000) and attached to `unity`. */
function withTemporaries(nodes: readonly Ed25519KeyPair[], unity = 'u0'): TestChain {
  const c = (chain = new TestChain());
  // One block per node (the demo block limit is 2 KiB), all at the same block time.
  for (const n of nodes) {
    c.block(
      [
        c.accountTx(OWNER, 'register', { node: n.publicKey.bytes, role: 'temporary', hardware: '' }, 0n, n),
        c.managerTx(0, 'attach', { node: n.publicKey.bytes, unity }),
      ],
      { time: 1_000n },
    );
  }
  return c;
}

/** A client's ABC channel to `payee` and a function that settles receipts on it (signed by its session). */
function channel(c: TestChain, client: number, payee: Ed25519KeyPair): (amount: bigint, nonce: bigint, score?: number) => Tx {
  const key = accountKey(client);
  const nonce = c.accountNonces.get(key.address) ?? 0n;
  c.block([c.accountTx(key, 'channel-open', { currency: 'ABC', amount: 10n * ABC, payees: [payee.publicKey.bytes] })]);
  const id = channelId(c.chainId, key.address, nonce);
  const session = Ed25519KeyPair.fromSeed(sha256(utf8(`report test session ${client}`)));
  const authorization = encodeSessionAuthorization(authorizeSession(key, session.publicKey, 1e12));
  return (amount, n, score) =>
    c.accountTx(OWNER, 'channel-settle', {
      receipt: encodeReceipt(
        signReceipt(session, { channel: id, payee: payee.publicKey.bytes, amount, nonce: n, ...(score === undefined ? {} : { score }) }),
      ),
      authorization,
    });
}

const outcomes = (c: TestChain, txs: readonly Tx[], time?: bigint) =>
  c.block(txs, time === undefined ? {} : { time }).result.outcomes.map((o) => (o.ok ? 'ok' : `${o.code} ${o.field}`));

describe('node-report', () => {
  it('adds a manager’s observations to the node record, per-day uptime within the window', () => {
    const t = nodeKey(60);
    const c = withTemporaries([t]);
    const node = () => c.ledger.view().node(t.publicKey.bytes)!;
    expect(node().rep).toEqual({
      since: 1_000n,
      auditsPassed: 0n,
      auditsFailed: 0n,
      served: 0n,
      scoreSum: 0n,
      scoreCount: 0n,
      uptime: [],
      bad: false,
    });
    // Two managers report in one block (day 2).
    const a = entry(t, { auditsPassed: 2n, auditsFailed: 1n, heartbeatsSeen: 9n, heartbeatsExpected: 10n, served: 7n });
    const b = entry(t, { auditsPassed: 1n, heartbeatsSeen: 10n, heartbeatsExpected: 10n, served: 3n });
    expect(outcomes(c, [c.managerTx(0, 'node-report', { nodes: [a] }), c.managerTx(1, 'node-report', { nodes: [b] })], 2_000n)).toEqual([
      'ok',
      'ok',
    ]);
    expect(node().rep).toMatchObject({ auditsPassed: 3n, auditsFailed: 1n, served: 10n, uptime: [{ day: 2n, seen: 19n, expected: 20n }] });
    // Day 10: the window is days 4…10, day 2 drops out.
    c.block([c.managerTx(0, 'node-report', { nodes: [entry(t, { heartbeatsSeen: 5n, heartbeatsExpected: 5n })] })], { time: 10_000n });
    expect(node().rep.uptime).toEqual([{ day: 10n, seen: 5n, expected: 5n }]);
    // 0.4 · 3/4 + 0.3 · 5/5 + 0 (no score) + 0.1 · 9 s / 30 s = 0.3 + 0.3 + 0.03
    expect(nodeReputation(node(), false, c.params, 10_000n)).toBe(630_000n);
    expect(node().nonce).toBe(0n); // the manager's nonce moved, not the reported node's
    expect(c.ledger.view().node(managerNode(0).publicKey.bytes)!.nonce).toBe(3n);
  });

  it('refuses a report that breaks a rule, naming the field, and changes nothing', () => {
    const [t, u] = [nodeKey(61), nodeKey(62)];
    const c = withTemporaries([t, u]);
    const before = c.ledger.view().node(t.publicKey.bytes)!.rep;
    const report = (...nodes: Entry[]) => c.managerTx(0, 'node-report', { nodes });
    const at2 = (txs: Tx[]) => outcomes(c, txs, c.time + 1n);
    expect(at2([report(entry(t, { served: 1n }), entry(u), entry(t))])).toEqual(['BAD_FIELD body.nodes[2].node']);
    expect(at2([report(entry(t, { heartbeatsSeen: 3n, heartbeatsExpected: 2n }))])).toEqual(['BAD_FIELD body.nodes[0].heartbeatsSeen']);
    expect(at2([report(entry(t, { cheated: true, auditsPassed: 4n }))])).toEqual(['BAD_FIELD body.nodes[0].cheated']);
    expect(at2([report(entry(u), entry(nodeKey(63)))])).toEqual(['UNKNOWN_NODE body.nodes[1].node']);
    expect(at2([report(entry(t, { served: (1n << 64n) - 1n }), entry(u))])).toEqual(['ok']);
    expect(outcomes(c, [report(entry(t, { served: 1n }))], 3_000n)).toEqual(['BAD_FIELD body.nodes[0].served']);
    expect(outcomes(c, [report(entry(t, { heartbeatsSeen: 1n, heartbeatsExpected: (1n << 64n) - 1n }))], 4_000n)).toEqual(['ok']);
    // The same day's bucket would pass 2^64 − 1 (another day's would not).
    expect(outcomes(c, [report(entry(t, { heartbeatsExpected: 1n }))], 4_500n)).toEqual(['BAD_FIELD body.nodes[0].heartbeatsExpected']);
    expect(c.ledger.view().node(t.publicKey.bytes)!.rep).toEqual({
      ...before,
      served: (1n << 64n) - 1n,
      uptime: [{ day: 4n, seen: 1n, expected: (1n << 64n) - 1n }],
    });
  });

  it('is signed by an active manager only', () => {
    const t = nodeKey(64);
    const c = withTemporaries([t]);
    const body = { nodes: [entry(t, { auditsPassed: 1n })] };
    const byAccount = c.accountTx(accountKey(RESERVE), 'node-report', body);
    expect(refusal(() => c.block([byAccount]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_FIELD' });
    const byWorker = signManagerTx({ chain: c.chainId, kind: 'node-report', nonce: 0n, body }, t);
    expect(refusal(() => c.block([byWorker]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'NOT_AUTHORISED' });
    expect(c.ledger.view().node(t.publicKey.bytes)!.rep.auditsPassed).toBe(0n);
  });

  it('records proven cheating as a bad record for ever: reputation 0.01, no promotion, no Manager Ring', () => {
    const t = nodeKey(65);
    const c = withTemporaries([t]);
    const good = entry(t, { auditsPassed: 50n, heartbeatsSeen: 10n, heartbeatsExpected: 10n, served: 100n });
    c.block([c.managerTx(0, 'node-report', { nodes: [good] })]);
    expect(nodeReputation(c.ledger.view().node(t.publicKey.bytes)!, false, c.params, c.time)).toBeGreaterThan(600_000n);
    c.block([c.managerTx(1, 'node-report', { nodes: [entry(t, { auditsFailed: 1n, cheated: true })] })]);
    c.block([c.managerTx(2, 'node-report', { nodes: [good] })], { time: c.time + 40_000n });
    const node = c.ledger.view().node(t.publicKey.bytes)!;
    expect(node.rep).toMatchObject({ auditsPassed: 100n, auditsFailed: 1n, bad: true });
    expect(nodeReputation(node, false, c.params, c.time)).toBe(10_000n);
    expect(outcomes(c, [c.managerTx(0, 'promote', { node: t.publicKey.bytes })])).toEqual(['BAD_ROLE body.node']);
    // The payout account is clean: the node's own record bars it from the Manager Ring.
    expect(c.ledger.view().account(OWNER.address).bad).toBe(false);
    const managers = Array.from({ length: MANAGER_COUNT }, (_, i) => managerEntry(managerNode(i), managerAccount(i)));
    const signers = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
    const reconfigure = c.managersReconfigure([...managers, managerEntry(t, OWNER)], signers);
    expect(outcomes(c, [reconfigure])).toEqual([`BAD_ROLE body.managers[${MANAGER_COUNT}].key`]);
  });
});

describe('client scores', () => {
  it('count the latest score per channel, recorded when a receipt carrying one settles', () => {
    const t = nodeKey(66);
    const c = withTemporaries([t]);
    const first = channel(c, INVESTORS, t);
    const second = channel(c, RESERVE, t);
    const rep = () => c.ledger.view().node(t.publicKey.bytes)!.rep;
    const scores = (client: number) => c.ledger.view().channel(channelId(c.chainId, accountKey(client).address, 0n))!.scores;
    expect(scores(INVESTORS)).toEqual([{ nonce: 0n }]);
    c.block([first(300n, 3n, 90)]);
    expect(rep()).toMatchObject({ scoreSum: 90n, scoreCount: 1n });
    expect(scores(INVESTORS)).toEqual([{ nonce: 3n, score: 90 }]);
    // An older receipt (even with a better score), and a newer one without a score, change nothing.
    c.block([first(200n, 2n, 100), first(400n, 5n)]);
    expect(rep()).toMatchObject({ scoreSum: 90n, scoreCount: 1n });
    c.block([first(500n, 6n, 70)]);
    expect(rep()).toMatchObject({ scoreSum: 70n, scoreCount: 1n });
    expect(scores(INVESTORS)).toEqual([{ nonce: 6n, score: 70 }]);
    // A zero-amount receipt may carry a score; a second channel counts on its own.
    c.block([second(0n, 0n, 100)]);
    expect(rep()).toMatchObject({ scoreSum: 170n, scoreCount: 2n });
    // A receipt that does not verify records nothing.
    const stranger = Ed25519KeyPair.fromSeed(sha256(utf8('not the session')));
    const forged = c.accountTx(OWNER, 'channel-settle', {
      receipt: encodeReceipt(
        signReceipt(stranger, {
          channel: channelId(c.chainId, accountKey(RESERVE).address, 0n),
          payee: t.publicKey.bytes,
          amount: 1n,
          nonce: 9n,
          score: 0,
        }),
      ),
      authorization: encodeSessionAuthorization(
        authorizeSession(accountKey(RESERVE), Ed25519KeyPair.fromSeed(sha256(utf8('report test session 2'))).publicKey, 1e12),
      ),
    });
    expect(outcomes(c, [forged])).toEqual(['BAD_SIGNATURE body.receipt.sig']);
    expect(rep()).toMatchObject({ scoreSum: 170n, scoreCount: 2n });
  });
});

describe('promotion', () => {
  it('refuses a temporary worker short of any rule, naming it, and promotes one that meets them all', () => {
    const t = nodeKey(67);
    const c = withTemporaries([t]); // registered at 1,000 (demo: 10 served, 3 audits at 99 %, score 80, 95 % over 7 s)
    const settle = channel(c, INVESTORS, t);
    const promote = () => c.managerTx(0, 'promote', { node: t.publicKey.bytes });
    const report = (x: Partial<Omit<Entry, 'node'>>) => c.managerTx(1, 'node-report', { nodes: [entry(t, x)] });
    // Blocks 10 ms apart: the worker stays younger than the 7 s uptime window until that rule's turn.
    const step = (txs: Tx[]) => outcomes(c, txs, c.time + 10n);
    expect(step([promote()])).toEqual(['NOT_ELIGIBLE params.promotionMinServed']);
    expect(step([report({ served: 9n }), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.promotionMinServed']);
    expect(step([report({ served: 1n, auditsPassed: 2n }), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.promotionMinAudits']);
    expect(step([report({ auditsFailed: 1n }), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.promotionAuditPassBps']);
    expect(step([report({ auditsPassed: 96n }), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.promotionAuditPassBps']); // 98 of 99
    expect(step([report({ auditsPassed: 1n }), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.promotionMinScore']); // 99 of 100
    expect(step([settle(100n, 1n, 79), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.promotionMinScore']);
    expect(step([settle(200n, 2n, 80), promote()])).toEqual(['ok', 'NOT_ELIGIBLE params.uptimeWindowDays']);
    expect(c.time).toBe(2_080n); // registered 1,080 ms ago
    expect(outcomes(c, [promote()], 8_000n)).toEqual(['NOT_ELIGIBLE params.promotionUptimeBps']); // no heartbeats yet
    expect(outcomes(c, [report({ heartbeatsSeen: 18n, heartbeatsExpected: 20n }), promote()])).toEqual([
      'ok',
      'NOT_ELIGIBLE params.promotionUptimeBps',
    ]);
    const before = c.ledger.view().account(OWNER.address).abc;
    expect(outcomes(c, [report({ heartbeatsSeen: 20n, heartbeatsExpected: 20n }), promote()])).toEqual(['ok', 'ok']); // 38/40 = 95 %
    expect(c.ledger.view().node(t.publicKey.bytes)).toMatchObject({ role: 'worker', deposit: 100n * ABC });
    expect(c.ledger.view().account(OWNER.address).abc).toBe(before - 100n * ABC);
  });
});

describe('removal', () => {
  it('for cheating forfeits deposit, tranches and held income to the reward pool; an honest one the deposit only', () => {
    const [cheat, honest] = [accountKey(70), accountKey(71)];
    const [w, v] = [nodeKey(70), nodeKey(71)];
    const c = (chain = new TestChain());
    const reserve = accountKey(RESERVE);
    c.block([
      c.accountTx(reserve, 'transfer', { to: cheat.address, amount: 200n * ABC }),
      c.accountTx(reserve, 'transfer', { to: honest.address, amount: 200n * ABC }),
    ]);
    c.block([
      c.accountTx(cheat, 'register', { node: w.publicKey.bytes, role: 'worker', hardware: '' }, 0n, w),
      c.accountTx(honest, 'register', { node: v.publicKey.bytes, role: 'worker', hardware: '' }, 0n, v),
    ]);
    // Income: 3 ABC each in period 1 (0.6 ABC frozen at the close), then 1 ABC each in period 2 (0.2 ABC held).
    const session = Ed25519KeyPair.fromSeed(sha256(utf8('removal session')));
    const client = accountKey(INVESTORS);
    const authorization = encodeSessionAuthorization(authorizeSession(client, session.publicKey, 1e12));
    c.block([
      c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 10n * ABC, payees: [w.publicKey.bytes, v.publicKey.bytes] }),
    ]);
    const id = channelId(c.chainId, client.address, 0n);
    const settle = (payout: typeof cheat, node: Ed25519KeyPair, amount: bigint, nonce: bigint) =>
      c.accountTx(payout, 'channel-settle', {
        receipt: encodeReceipt(signReceipt(session, { channel: id, payee: node.publicKey.bytes, amount, nonce })),
        authorization,
      });
    c.block([settle(cheat, w, 3n * ABC, 0n), settle(honest, v, 3n * ABC, 1n)]);
    c.block([c.managerTx(0, 'period-close', { period: 1n, workload: [] })], { time: 60_000n });
    c.block([settle(cheat, w, 4n * ABC, 2n), settle(honest, v, 4n * ABC, 3n)], { time: 61_000n });
    const view = () => c.ledger.view();
    // The settlement at 61,000 released the tranche's first daily part (600,000 / 30).
    expect(view().account(cheat.address)).toMatchObject({
      options: [{ total: 600_000n, released: 20_000n, start: 60_000n }],
      periodIncome: 1n * ABC,
    });

    // Removal at 62,500: a second daily part is released, 560,000 a are not.
    const managersOwned = () => Array.from({ length: MANAGER_COUNT }, (_, i) => owned(view().account(managerAccount(i).address)));
    const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
    const balance = view().account(cheat.address).abc;
    const pool = view().pools().rewardPool;
    const paidBefore = sum(managersOwned());
    const removed = c.block([c.managerTx(1, 'remove', { node: w.publicKey.bytes, cheating: true, reason: 'forged log' })], {
      time: 62_500n,
    });
    expect(removed.result.outcomes[0]?.ok).toBe(true);
    const forfeit = 100n * ABC + 560_000n + 200_000n;
    // The block's rewards went from the pool to the managers; the forfeit came in.
    expect(view().pools().rewardPool).toBe(pool + forfeit - (sum(managersOwned()) - paidBefore));
    expect(view().account(cheat.address)).toMatchObject({
      abc: balance + 20_000n - 200_000n,
      options: [],
      periodIncome: 0n,
      bad: true,
    });
    expect(view().node(w.publicKey.bytes)).toMatchObject({ status: 'removed', deposit: 0n, rep: { bad: true } });

    const honestBefore = view().account(honest.address);
    c.block([c.managerTx(1, 'remove', { node: v.publicKey.bytes, cheating: false, reason: 'vanished' })]);
    expect(view().account(honest.address)).toEqual(honestBefore);
    expect(view().node(v.publicKey.bytes)).toMatchObject({ status: 'removed', deposit: 0n, rep: { bad: false } });
  });

  it('leaves a node with a bad record out of the worker fee pool: its logged workload is dropped unpaid', () => {
    const payouts = [accountKey(72), accountKey(73), accountKey(74)];
    const [cheat, honest, vanished] = [nodeKey(72), nodeKey(73), nodeKey(74)];
    const c = (chain = new TestChain());
    const reserve = accountKey(RESERVE);
    c.block(payouts.map((p) => c.accountTx(reserve, 'transfer', { to: p.address, amount: 10n * ABC })));
    c.block([cheat, honest, vanished].map((n, i) => c.accountTx(payouts[i]!, 'register', { node: n.publicKey.bytes, role: 'temporary', hardware: '' }, 0n, n)));
    // 100 units each this period; then the cheat is caught, and the vanished node removed without cheating.
    c.block([c.managerTx(0, 'node-report', { nodes: [cheat, honest, vanished].map((n) => entry(n, { units: 100n })) })]);
    c.block([
      c.managerTx(1, 'node-report', { nodes: [entry(cheat, { auditsFailed: 1n, cheated: true })] }),
      c.managerTx(1, 'remove', { node: vanished.publicKey.bytes, cheating: false, reason: 'silent' }),
    ]);
    // A fee fills the pool (half of it; the miner keeps the rest).
    c.block([c.accountTx(reserve, 'transfer', { to: accountKey(RESEARCH).address, amount: 1n }, 200_000n)]);
    const view = () => c.ledger.view();
    expect(view().pools().workerFeePool).toBe(100_000n);
    const before = payouts.map((p) => owned(view().account(p.address)));
    c.block([c.managerTx(0, 'period-close', { period: 1n, workload: [] })], { time: 60_000n });
    const gained = payouts.map((p, i) => owned(view().account(p.address)) - before[i]!);
    // The honest and the vanished node share the pool by workload (the vanished keeps what it earned); the cheat
    // gets nothing.
    expect(gained).toEqual([0n, 50_000n, 50_000n]);
    expect(view().pools().workerFeePool).toBe(0n);
    for (const n of [cheat, honest, vanished]) expect(view().node(n.publicKey.bytes)!.workload).toBe(0n);
  });
});

describe('replacement candidates', () => {
  it('rank the temporary workers of a Unity: promotable first, then by reputation; bad records left out', () => {
    const [a, b, bad, other, fresh] = [nodeKey(80), nodeKey(81), nodeKey(82), nodeKey(83), nodeKey(84)];
    const c = withTemporaries([a, b, bad, fresh]);
    c.block([
      c.accountTx(OWNER, 'register', { node: other.publicKey.bytes, role: 'temporary', hardware: '' }, 0n, other),
      c.managerTx(0, 'attach', { node: other.publicKey.bytes, unity: 'u1' }),
    ]);
    const settleA = channel(c, INVESTORS, a);
    const settleB = channel(c, RESERVE, b);
    c.block([settleA(1n, 0n, 90), settleB(1n, 0n, 100)]);
    // a: promotable (99 of 100 audits); b: a perfect record but only 9 requests served; bad: proven cheating.
    c.block(
      [
        c.managerTx(1, 'node-report', {
          nodes: [
            entry(a, { auditsPassed: 99n, auditsFailed: 1n, served: 10n, heartbeatsSeen: 10n, heartbeatsExpected: 10n }),
            entry(b, { auditsPassed: 100n, served: 9n, heartbeatsSeen: 10n, heartbeatsExpected: 10n }),
            entry(bad, { auditsPassed: 100n, auditsFailed: 1n, cheated: true, served: 10n }),
            entry(other, { auditsPassed: 100n, served: 10n, heartbeatsSeen: 10n, heartbeatsExpected: 10n }),
          ],
        }),
      ],
      { time: 9_000n },
    );
    const view = c.ledger.view();
    const ranked = replacementCandidates(view, c.params, 9_000n, 'u0');
    const names = new Map([a, b, bad, other, fresh].map((k, i) => [Buffer.from(k.publicKey.bytes).toString('hex'), 'a b bad other fresh'.split(' ')[i]]));
    expect(ranked.map((x) => names.get(Buffer.from(x.node.key).toString('hex')))).toEqual(['a', 'b', 'fresh']);
    // a: 0.4 · 0.99 + 0.3 + 0.2 · 0.9 + 0.1 · 8/30; b: 0.4 + 0.3 + 0.2 + 0.1 · 8/30; fresh: 0.1 · 8/30
    expect(ranked.map((x) => x.reputation)).toEqual([902_666n, 926_666n, 26_666n]);
    expect(ranked.map((x) => x.shortfall?.field)).toEqual([undefined, 'params.promotionMinServed', 'params.promotionMinServed']);
  });
});
