/**
 * The managers' duty transactions on a real ledger (TestChain): one nonce counter for every duty, run ahead of
 * the final state and started again after a refusal or a stall; the attach duty's choice of Unity; the promotion
 * desk's decisions naming the unmet rule.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { decodeTx, demoParams } from '../../../../node/ledger/index.ts';
import { chooseUnities, dutyIndex } from '../../../../node/manager/attacher.ts';
import { DutyTxs } from '../../../../node/manager/duty-txs.ts';
import { decidePromotion } from '../../../../node/manager/promotion-desk.ts';
import { PeriodCloser } from '../../../../node/manager/period-closer.ts';
import { Remover } from '../../../../node/manager/remover.ts';
import { systemClock } from '../../../../node/net/index.ts';
import { decodePromotionReply, encodePromotionReply } from '../../../../node/worker/promotion-protocol.ts';
import { WorkerError } from '../../../../node/worker/errors.ts';
import { ABC, accountKey, INVESTORS, managerNode, owned, TestChain, testGenesis } from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => {
  chain?.close();
  chain = undefined;
});

function duty(c: TestChain, now: { t: number }, pool: Uint8Array[], refuse = () => false) {
  return new DutyTxs({
    nodeKey: managerNode(0),
    ledger: () => c.ledger,
    submit: (tx) => {
      if (refuse()) throw new Error('refused');
      pool.push(tx);
    },
    now: () => now.t,
    staleMs: 1_000,
  });
}

const nonces = (pool: readonly Uint8Array[]) => pool.map((tx) => decodeTx(tx).nonce);

describe('DutyTxs', () => {
  it('numbers duties from one counter ahead of the final state, and starts again after a refusal or a stall', () => {
    const c = (chain = new TestChain());
    const now = { t: 0 };
    const pool: Uint8Array[] = [];
    let refusing = false;
    const d = duty(c, now, pool, () => refusing);
    const node = sha256(utf8('some node'));
    const report = { nodes: [{ node, auditsPassed: 0n, auditsFailed: 0n, cheated: false, heartbeatsSeen: 0n, heartbeatsExpected: 0n, served: 0n }] };
    d.submit('node-report', report);
    d.submit('node-report', report);
    expect(nonces(pool)).toEqual([0n, 1n]);
    refusing = true;
    expect(() => d.submit('node-report', report)).toThrow('refused');
    refusing = false;
    d.submit('node-report', report);
    // After the refusal the counter starts from the final nonce again (0: nothing is final yet).
    expect(nonces(pool)).toEqual([0n, 1n, 0n]);
    d.submit('node-report', report);
    expect(nonces(pool)).toEqual([0n, 1n, 0n, 1n]);
    // Nothing lands for longer than staleMs: the gap cannot be passed, so the counter starts again.
    now.t = 2_000;
    d.submit('node-report', report);
    expect(nonces(pool).at(-1)).toBe(0n);
  });

  it('does nothing for a node that is not an active manager', () => {
    const c = (chain = new TestChain());
    const pool: Uint8Array[] = [];
    const d = new DutyTxs({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8('not a manager'))), ledger: () => c.ledger, submit: (tx) => pool.push(tx), now: () => 0 });
    expect(d.active()).toBeUndefined();
    expect(d.submit('promote', { node: sha256(utf8('x')) })).toBeUndefined();
    expect(pool).toHaveLength(0);
  });
});

describe('the attach duty', () => {
  it('spreads nodes over the Unities by load per member', () => {
    const loads = [
      { unity: 'a', load: 100, servers: 6 },
      { unity: 'b', load: 60, servers: 6 },
    ];
    const nodes = Array.from({ length: 6 }, (_, i) => sha256(utf8(`n${i}`)));
    // a: 100/6 … 100/9 beat b's 60/6 = 10; 100/10 ties it (the first listed wins); b's 10 beats a's 100/11.
    expect(chooseUnities(nodes, loads, new Map())).toEqual(['a', 'a', 'a', 'a', 'a', 'b']);
    expect(chooseUnities(nodes.slice(0, 1), loads, new Map([['a', 10]]))).toEqual(['b']);
  });

  it('never leaves a Unity with a higher load per member than the one it gave the last node', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ load: fc.integer({ min: 0, max: 1_000 }), servers: fc.integer({ min: 1, max: 32 }) }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        (raw, count) => {
          const loads = raw.map((u, i) => ({ unity: `u${i}`, ...u }));
          const picks = chooseUnities(Array.from({ length: count }, () => new Uint8Array(32)), loads, new Map());
          const members = new Map(loads.map((u) => [u.unity, u.servers]));
          for (const pick of picks) {
            const share = (u: (typeof loads)[number]) => u.load / members.get(u.unity)!;
            const best = Math.max(...loads.map(share));
            expect(share(loads.find((u) => u.unity === pick)!)).toBe(best);
            members.set(pick, members.get(pick)! + 1);
          }
        },
      ),
    );
  });

  it('gives every node one duty manager', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 64 }), (key, count) => {
        const i = dutyIndex(key, count);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(count);
      }),
    );
  });
});

describe('the promotion desk', () => {
  it('names the unmet rule, refuses other roles, and promotes an eligible temporary worker', () => {
    const params = { ...demoParams, promotionMinServed: 0n, promotionMinAudits: 0n, promotionMinScore: 0n, promotionUptimeBps: 0n };
    const c = (chain = new TestChain(testGenesis({ ...params, promotionMinAudits: 1n })));
    const pool: Uint8Array[] = [];
    const d = duty(c, { t: 0 }, pool);
    const node = Ed25519KeyPair.fromSeed(sha256(utf8('applicant')));
    const key = node.publicKey.bytes;
    expect(decidePromotion({ duty: d }, key)).toMatchObject({ ok: false, code: 'NOT_REGISTERED' });
    c.block([c.accountTx(accountKey(1), 'register', { node: key, role: 'temporary', hardware: 'pi' }, 0n, node)]);
    expect(decidePromotion({ duty: d }, key)).toMatchObject({ ok: false, code: 'NOT_ELIGIBLE', field: 'params.promotionMinAudits' });
    expect(pool).toHaveLength(0);
    expect(decidePromotion({ duty: d }, managerNode(1).publicKey.bytes)).toMatchObject({ ok: false, code: 'BAD_ROLE' });
    const report = { nodes: [{ node: key, auditsPassed: 1n, auditsFailed: 0n, cheated: false, heartbeatsSeen: 0n, heartbeatsExpected: 0n, served: 0n }] };
    d.submit('node-report', report);
    c.block(pool.splice(0));
    const decided = decidePromotion({ duty: d }, key);
    expect(decided.ok).toBe(true);
    expect(pool).toHaveLength(1);
    expect(decodeTx(pool[0]!)).toMatchObject({ kind: 'promote', body: { node: key } });
    expect(c.block(pool.splice(0)).result.outcomes).toMatchObject([{ ok: true }]);
    expect(c.ledger.finalView().node(key)).toMatchObject({ role: 'worker' });
    expect(toHex(c.ledger.finalView().node(key)!.key)).toBe(toHex(key));
  });
});

describe('the removal duty', () => {
  const report = (node: Uint8Array, fields: Partial<{ auditsPassed: bigint; auditsFailed: bigint; cheated: boolean; heartbeatsSeen: bigint; heartbeatsExpected: bigint }>) => ({
    node,
    auditsPassed: 0n,
    auditsFailed: 0n,
    cheated: false,
    heartbeatsSeen: 0n,
    heartbeatsExpected: 0n,
    served: 0n,
    ...fields,
  });

  it('removes a cheater (forfeiting its options) and promotes the best temporary worker of its Unity in its place', () => {
    const params = { ...demoParams, promotionMinServed: 0n, promotionMinAudits: 1n, promotionMinScore: 0n, promotionUptimeBps: 0n };
    const c = (chain = new TestChain(testGenesis(params)));
    const keys = ['cheat', 'good', 'better', 'elsewhere'].map((l) => Ed25519KeyPair.fromSeed(sha256(utf8(`removal ${l}`))));
    const [cheat, good, better, elsewhere] = keys.map((k) => k.publicKey.bytes) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const payouts = keys.map((_, i) => accountKey(60 + i));
    c.block(payouts.map((p) => c.accountTx(accountKey(INVESTORS), 'transfer', { to: p.address, amount: 200n * ABC })));
    c.block(keys.map((k, i) => c.accountTx(payouts[i]!, 'register', { node: k.publicKey.bytes, role: 'temporary', hardware: 'pi' }, 0n, k)));
    c.block([
      ...[cheat, good, better].map((node) => c.managerTx(1, 'attach', { node, unity: 'u1' })),
      c.managerTx(1, 'attach', { node: elsewhere, unity: 'u2' }),
      c.managerTx(1, 'node-report', {
        nodes: [
          report(cheat, { auditsPassed: 1n }),
          report(good, { auditsPassed: 1n }),
          report(better, { auditsPassed: 5n, heartbeatsSeen: 10n, heartbeatsExpected: 10n }),
          report(elsewhere, { auditsPassed: 9n, heartbeatsSeen: 10n, heartbeatsExpected: 10n }),
        ],
      }),
    ]);
    c.block([c.managerTx(1, 'promote', { node: cheat })]);
    expect(c.ledger.finalView().node(cheat)).toMatchObject({ role: 'worker', unity: 'u1', deposit: params.depositWorker });
    const pool: Uint8Array[] = [];
    const remover = new Remover({ duty: duty(c, { t: 0 }, pool), clock: systemClock, silentIntervals: 1_000n });
    expect(remover.round()).toEqual([]);

    c.block([c.managerTx(1, 'node-report', { nodes: [report(cheat, { auditsFailed: 1n, cheated: true })] })]);
    const [removal, ...more] = remover.round();
    expect(more).toEqual([]);
    expect(removal).toMatchObject({ cheating: true });
    expect(toHex(removal!.node)).toBe(toHex(cheat));
    // The best-ranked eligible temporary worker of u1 (better: more audits and uptime), not u2's.
    expect(toHex(removal!.replacement!)).toBe(toHex(better));
    expect(c.block(pool.splice(0)).result.outcomes).toMatchObject([{ ok: true }, { ok: true }]);
    const view = c.ledger.finalView();
    expect(view.node(cheat)).toMatchObject({ status: 'removed', deposit: 0n });
    expect(view.account(payouts[0]!.address)).toMatchObject({ bad: true, options: [] });
    expect(view.node(better)).toMatchObject({ role: 'worker', unity: 'u1' });
    expect(view.node(good)).toMatchObject({ role: 'temporary' });
    // Removed once: the next rounds find nothing to do.
    expect(remover.round()).toEqual([]);
    expect(owned(view.account(payouts[2]!.address))).toBe(200n * ABC - params.depositWorker);
  });

  it('removes a node that went silent, keeping what it earned, and leaves one that beats', () => {
    const c = (chain = new TestChain());
    const keys = ['silent', 'alive'].map((l) => Ed25519KeyPair.fromSeed(sha256(utf8(`silence ${l}`))));
    const [silent, alive] = keys.map((k) => k.publicKey.bytes) as [Uint8Array, Uint8Array];
    c.block(keys.map((k) => c.accountTx(accountKey(INVESTORS), 'register', { node: k.publicKey.bytes, role: 'temporary', hardware: 'pi' }, 0n, k)));
    c.block([c.managerTx(1, 'node-report', { nodes: [report(silent, { heartbeatsSeen: 3n, heartbeatsExpected: 3n }), report(alive, { heartbeatsSeen: 3n, heartbeatsExpected: 3n })] })]);
    c.time += 1n;
    c.block([c.managerTx(1, 'node-report', { nodes: [report(silent, { heartbeatsExpected: 6n }), report(alive, { heartbeatsSeen: 1n, heartbeatsExpected: 6n })] })]);
    const pool: Uint8Array[] = [];
    const remover = new Remover({ duty: duty(c, { t: 0 }, pool), clock: systemClock, silentIntervals: 6n });
    const removals = remover.round();
    expect(removals.map((r) => [toHex(r.node), r.cheating])).toEqual([[toHex(silent), false]]);
    expect(removals[0]!.reason).toContain('no heartbeat in 6 intervals');
    c.block(pool.splice(0));
    expect(c.ledger.finalView().node(silent)).toMatchObject({ status: 'removed', rep: { bad: false } });
    expect(c.ledger.finalView().account(accountKey(INVESTORS).address).bad).toBe(false);
  });
});

describe('the period-close duty', () => {
  it("closes a period once it is over: its duty manager at once, the others after the grace", () => {
    const c = (chain = new TestChain());
    const pools: Uint8Array[][] = [[], []];
    const closers = [0, 1].map(
      (i) =>
        new PeriodCloser({
          duty: new DutyTxs({ nodeKey: managerNode(i), ledger: () => c.ledger, submit: (tx) => pools[i]!.push(tx), now: () => 0 }),
          clock: systemClock,
          graceMs: 5_000n,
        }),
    );
    expect(closers.map((p) => p.round())).toEqual([undefined, undefined]);
    const end = c.ledger.finalView().chain().periodStart + c.params.periodMs;
    c.time = end;
    c.block([]);
    // The first period (1) is manager 1's (1 mod 6); manager 0 waits for the grace.
    expect(closers.map((p) => p.round())).toEqual([undefined, 1n]);
    expect(closers[1]!.round()).toBeUndefined(); // submitted already
    c.time = end + 5_000n;
    c.block([]);
    expect(closers[0]!.round()).toBe(1n);
    expect(c.block([pools[1]![0]!, pools[0]![0]!]).result.outcomes).toMatchObject([{ ok: true }, { ok: false, code: 'BAD_FIELD' }]);
    expect(c.ledger.finalView().chain().period).toBe(2n);
    expect(c.ledger.finalView().chain().periodStart).toBeGreaterThan(end);
  });
});

describe('promotion replies', () => {
  it('round-trip, and any other bytes are MALFORMED', () => {
    const ok = { ok: true as const, hash: sha256(utf8('tx')) };
    expect(decodePromotionReply(encodePromotionReply(ok))).toEqual(ok);
    const no = { ok: false as const, code: 'NOT_ELIGIBLE' as const, field: 'params.promotionMinAudits', message: '0 audits, 1 needed' };
    expect(decodePromotionReply(encodePromotionReply(no))).toEqual(no);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodePromotionReply(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WorkerError);
          expect((error as WorkerError).code).toBe('MALFORMED');
        }
      }),
    );
  });
});
