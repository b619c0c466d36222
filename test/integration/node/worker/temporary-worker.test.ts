/**
 * A temporary worker's life on real libp2p and a real manager (SPEC §6): it follows the ledger as a light client,
 * registers with its payout account, is attached by the managers' attach duty to the Unity with the highest load
 * per member, serves a client paying by receipts, settles them (the ledger pays exactly what the receipts say),
 * is audited, is refused promotion while a rule is unmet (the refusal names it), and once eligible is promoted by
 * a manager's transaction — worker deposit frozen — and keeps serving from the same process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeSession, Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { channelId, demoParams, encodeTx, type LedgerParams, signAccountTx, spendable } from '../../../../node/ledger/index.ts';
import { Attacher } from '../../../../node/manager/attacher.ts';
import { submitTx } from '../../../../node/manager/index.ts';
import { PeriodCloser } from '../../../../node/manager/period-closer.ts';
import { systemClock } from '../../../../node/net/index.ts';
import { WorkerClient } from '../../../../node/client/worker-client.ts';
import { ChannelSpender, MemorySpenderStore } from '../../../../node/worker/payments/index.ts';
import { ABC, accountKey, owned } from '../../../support/ledger-chain.ts';
import { type Cleanup, temporaryWorld, type WorldOptions } from '../../../support/temporary-world.ts';
import { eventually } from '../../../support/wait.ts';

const cleanup: Cleanup = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const PROMOTE_EARLY = { ...demoParams, promotionMinServed: 0n, promotionMinAudits: 1n, promotionMinScore: 0n, promotionUptimeBps: 0n };
const world = (params: LedgerParams, options: WorldOptions = {}) => temporaryWorld(cleanup, params, options);

describe('a temporary worker', () => {
  it('registers, is attached, serves, settles, is audited and is promoted without a restart', async () => {
    const params = PROMOTE_EARLY;
    const { chain, unity, manager, view, duty, investors, payout, workerHost, worker, key, auditor } = await world(params);
    const loads = [
      { unity: 'u0', load: 60, servers: 6 },
      { unity: 'u1', load: 90, servers: 6 },
    ];
    const attacher = new Attacher({ duty, clock: systemClock, loads: () => loads });

    const registered = await eventually('the registration', () => view().node(key));
    expect(registered).toMatchObject({ role: 'temporary', status: 'active', account: payout.address, unity: '', hardware: 'raspberry pi 5 (test)' });
    await eventually('the attaching phase', () => (worker.status().phase === 'attaching' ? true : undefined));

    // u1 carries 90 over 6 servers, u0 60 over 6: u1 has the higher load per member.
    expect([...attacher.round().values()]).toEqual(['u1']);
    await eventually('the attachment', () => (view().node(key)?.unity === 'u1' ? true : undefined));
    await eventually('the serving phase', () => (worker.status().phase === 'serving' ? true : undefined));
    expect(attacher.round().size).toBe(0);

    // A client channel to the worker, and paid requests.
    const client = accountKey(41);
    await submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: 1n, fee: 0n, body: { to: client.address, amount: 20n * ABC } }, investors)));
    await eventually('the client funds', () => (view().account(client.address).abc > 0n ? true : undefined));
    // What the payout account owns (balance and unreleased options) before any request is paid.
    const before = owned(view().account(payout.address));
    const escrow = 10n * ABC;
    await submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'channel-open', nonce: 0n, fee: 0n, body: { currency: 'ABC', amount: escrow, payees: [key] } }, client)));
    const id = channelId(chain, client.address, 0n);
    await eventually('the channel', () => view().channel(id));
    const session = Ed25519KeyPair.fromSeed(sha256(utf8('temporary worker test session')));
    const spender = new ChannelSpender({
      channel: { id, escrow, payees: [key], currency: 'ABC' },
      session,
      authorization: authorizeSession(client, session.publicKey, Date.now() + 3_600_000),
      store: new MemorySpenderStore(),
      now: Date.now,
    });
    const api = new WorkerClient({ rpc: unity.client.rpc, worker: workerHost.peer, payee: key, abc: spender, prices: () => params });
    // The worker's channel view learns of the channel in the background: the first request may be refused.
    const first = await eventually('the first paid store', async () => api.store(utf8('blob 0')).catch(() => undefined));
    const addresses = [first.address];
    for (let i = 1; i < 4; i++) addresses.push((await api.store(utf8(`blob ${i}`))).address);
    expect(worker.status().served).toBeGreaterThanOrEqual(4);

    // Settlement: the ledger pays the worker's payout account exactly what the latest receipt owes.
    const owed = spender.total;
    expect(owed).toBeGreaterThan(0n);
    await eventually('the settlement', () => (view().channel(id)?.paid[0] === owed ? true : undefined));
    expect(owned(view().account(payout.address)) - before).toBe(owed);

    // Not yet audited: the managers refuse and name the rule.
    expect(await worker.applyForPromotion()).toMatchObject({ ok: false, code: 'NOT_ELIGIBLE', field: 'params.promotionMinAudits' });

    // The auditor finds the worker through the connection its heartbeats came on.
    const round = await auditor.round();
    expect(round.report?.nodes).toMatchObject([{ node: key, auditsPassed: 2n, auditsFailed: 0n, cheated: false }]);
    await eventually('the audit on the ledger', () => (view().node(key)!.rep.auditsPassed === 2n ? true : undefined));

    const held = spendable(params, view().account(payout.address));
    const applied = await worker.applyForPromotion();
    expect(applied.ok).toBe(true);
    await eventually('the promotion', () => (worker.status().phase === 'promoted' ? true : undefined));
    expect(view().node(key)).toMatchObject({ role: 'worker', status: 'active', deposit: params.depositWorker, unity: 'u1' });
    expect(held - spendable(params, view().account(payout.address))).toBe(params.depositWorker);

    // Same process, same store: what it held before is still served, and new requests are taken.
    const served = worker.worker!;
    expect(await api.fetch(addresses[2]!)).toEqual(utf8('blob 2'));
    await api.store(utf8('after promotion'));
    expect(worker.worker).toBe(served);
    expect(await worker.applyForPromotion()).toMatchObject({ ok: false, code: 'BAD_ROLE' });
  });

  it('puts exactly the heartbeat intervals it sent on the ledger as uptime, what it served, and is paid the fee pool by workload', async () => {
    const interval = 250;
    // Batches of four: the requests logged by hand below (no receipt archived behind them) stay unsealed, so the
    // audit does not judge them — sealed, they would be an inflated log, whose bad record the fee pool does not pay.
    const { chain, unity, manager, view, duty, investors, payout, worker, key, auditor } = await world(demoParams, { heartbeatMs: interval, logBatchSize: 4 });
    await eventually('the registration', () => view().node(key));
    const beats = (n: number) => eventually(`${n} heartbeats`, () => (worker.status().heartbeats >= n ? true : undefined), 20_000);
    await beats(4);
    // Off the network for a while (serving goes on): those intervals are expected and not seen.
    worker.pauseHeartbeats(true);
    const paused = worker.status().heartbeats;
    await new Promise((resolve) => setTimeout(resolve, 4 * interval));
    worker.pauseHeartbeats(false);
    // Requests it logged meanwhile (as a served request logs them): the next heartbeats carry the count.
    const log = (await eventually('the serving side', () => worker.worker)).log;
    for (let i = 0; i < 3; i++) {
      await log.appendAsync({
        requestId: sha256(utf8(`request ${i}`)).subarray(0, 16),
        client: utf8('a client'),
        service: 'blob-get',
        bytes: 4096,
        computeUnits: 0,
        resultHash: sha256(utf8(`result ${i}`)),
        latencyMs: 1,
        receiptHash: sha256(utf8(`receipt ${i}`)),
      });
    }
    await beats(paused + 3);
    worker.pauseHeartbeats(true);
    const sent = new Set(worker.status().heartbeatIntervals);
    // Past the interval of the last heartbeat, so the drain closes it.
    await new Promise((resolve) => setTimeout(resolve, interval + 50));
    const round = await auditor.round();
    const entry = round.report?.nodes.find((n) => toHex(n.node) === toHex(key));
    expect(entry).toBeDefined();
    expect(entry!.heartbeatsSeen).toBe(BigInt(sent.size));
    const first = Math.min(...sent);
    const last = Math.max(...sent);
    // Expected: every interval from the first heartbeat's to the one before the drain — the gap included.
    expect(entry!.heartbeatsExpected).toBeGreaterThanOrEqual(BigInt(last - first + 1));
    expect(entry!.heartbeatsExpected - entry!.heartbeatsSeen).toBeGreaterThanOrEqual(3n);
    await eventually('the report on the ledger', () => (view().node(key)!.rep.uptime.length > 0 ? true : undefined));
    const buckets = view().node(key)!.rep.uptime;
    expect(buckets.reduce((sum, b) => sum + b.seen, 0n)).toBe(BigInt(sent.size));
    expect(buckets.reduce((sum, b) => sum + b.expected, 0n)).toBe(entry!.heartbeatsExpected);
    expect(worker.status().served).toBe(3);
    expect(view().node(key)!.rep.served).toBe(3n);
    // Their workload: 4 units each (4,096 bytes, ⌈4096 / 1024⌉), the node's share of the period's fee pool.
    expect(view().node(key)!.workload).toBe(12n);

    // A fee fills the worker fee pool (half of it; the miner keeps the rest); the period close pays it by workload.
    await submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: 1n, fee: 2n * ABC, body: { to: payout.address, amount: 1n } }, investors)));
    const pool = await eventually('the fee in the pool', () => {
      const p = view().pools().workerFeePool;
      return p > 0n ? p : undefined;
    });
    const before = owned(view().account(payout.address));
    const period = view().chain().period;
    expect(new PeriodCloser({ duty, clock: systemClock }).round()).toBe(period);
    await eventually('the period close', () => (view().chain().period > period ? true : undefined));
    expect(owned(view().account(payout.address)) - before).toBe(pool);
    expect(view().node(key)!.workload).toBe(0n);
    expect(view().pools().workerFeePool).toBe(0n);
  });
});
