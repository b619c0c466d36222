/**
 * A temporary worker's life on real libp2p and a real manager (SPEC §6): it follows the ledger as a light client,
 * registers with its payout account, is attached by the managers' attach duty to the Unity with the highest load
 * per member, serves a client paying by receipts, settles them (the ledger pays exactly what the receipts say),
 * is audited, is refused promotion while a rule is unmet (the refusal names it), and once eligible is promoted by
 * a manager's transaction — worker deposit frozen — and keeps serving from the same process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeSession, Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import {
  channelId,
  demoParams,
  encodeTx,
  genesisId,
  genesisStateRoot,
  LightClient,
  signAccountTx,
  spendable,
} from '../../../../node/ledger/index.ts';
import { Attacher } from '../../../../node/manager/attacher.ts';
import { Auditor } from '../../../../node/manager/auditor.ts';
import { DutyTxs } from '../../../../node/manager/duty-txs.ts';
import { submitTx } from '../../../../node/manager/index.ts';
import { servePromotions } from '../../../../node/manager/promotion-desk.ts';
import { createHost, type Host, systemClock } from '../../../../node/net/index.ts';
import { WorkerClient } from '../../../../node/client/worker-client.ts';
import { LedgerFollower } from '../../../../node/worker/ledger-view.ts';
import { ChannelSpender, MemorySpenderStore } from '../../../../node/worker/payments/index.ts';
import { TemporaryWorker } from '../../../../node/worker/temporary-worker.ts';
import { ABC, accountKey, INVESTORS, managerNode, owned, testGenesis } from '../../../support/ledger-chain.ts';
import { TestUnity } from '../../../support/manager-unity.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const nodeKeyOf = (label: string) => Ed25519KeyPair.fromSeed(sha256(utf8(`temporary worker test ${label}`)));

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function host(label: string): Promise<Host> {
  const h = createHost({ nodeKey: nodeKeyOf(label) });
  await h.start();
  cleanup.push(() => h.stop());
  return h;
}

describe('a temporary worker', () => {
  it('registers, is attached, serves, settles, is audited and is promoted without a restart', async () => {
    const params = { ...demoParams, promotionMinServed: 0n, promotionMinAudits: 1n, promotionMinScore: 0n, promotionUptimeBps: 0n };
    const base = testGenesis(params);
    const genesis = { ...base, managers: [base.managers[0]!] };
    const chain = genesisId(genesis);
    const unity = new TestUnity(genesis);
    unity.client = await host('client');
    cleanup.push(() => unity.stop());
    await unity.addMember(0);
    const server = await unity.startServer(0);
    const manager = unity.host(0).peer;
    const view = () => server.ledger.finalView();

    // The manager's duties: attachments, promotions and audits, signed by its node key from one nonce counter.
    const duty = new DutyTxs({ nodeKey: managerNode(0), ledger: () => server.ledger, submit: (tx) => server.submit(tx), now: Date.now });
    const loads = [
      { unity: 'u0', load: 60, servers: 6 },
      { unity: 'u1', load: 90, servers: 6 },
    ];
    const attacher = new Attacher({ duty, clock: systemClock, loads: () => loads });
    cleanup.push(servePromotions(unity.host(0).rpc, { duty }));

    // The worker's payout account, funded by the investors: the worker deposit plus change.
    const investors = accountKey(INVESTORS);
    const payout = accountKey(40);
    await submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: 0n, fee: 0n, body: { to: payout.address, amount: 150n * ABC } }, investors)));

    const workerHost = await host('worker');
    const dataDir = mkdtempSync(join(tmpdir(), 'ame-temporary-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const follower = new LedgerFollower({ rpc: workerHost.rpc, managers: [manager], light: LightClient.fromGenesis(genesis, genesisStateRoot(genesis)), pollMs: 100, maxStaleMs: 5_000 });
    const worker = new TemporaryWorker({
      rpc: workerHost.rpc,
      nodeKey: nodeKeyOf('worker'),
      payout,
      chain,
      dataDir,
      follower,
      managers: [manager],
      submit: (tx) => submitTx(workerHost.rpc, manager, tx),
      hardware: 'raspberry pi 5 (test)',
      settle: { threshold: 1n, maxAgeMs: 0, deadlineMarginMs: 0 },
      tickMs: 100,
      logBatchSize: 2,
    });
    cleanup.push(() => worker.stop());
    worker.start();
    const key = worker.key;

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

    const auditor = new Auditor({ rpc: unity.host(0).rpc, random: labelledBytes('temporary audit'), clock: systemClock, duty, peerOf: (n) => (toHex(n) === toHex(key) ? workerHost.peer : undefined), samples: 2 });
    const round = await auditor.round();
    expect(round.report?.nodes).toMatchObject([{ auditsPassed: 2n, auditsFailed: 0n, cheated: false }]);
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
});
