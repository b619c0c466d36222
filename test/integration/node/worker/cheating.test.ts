/**
 * Cheating temporary workers on real libp2p, a real manager (its ledger, SQLite chain and state) and real worker
 * stores (SPEC §6 items 5–7, docs/worker.md "Audits"): five temporary workers of one Unity serve paid requests;
 * then four of them do what a modified worker would do to its own stores —
 *
 * - the dropper deletes the blobs it was paid to keep (a failed audit, not proven cheating);
 * - the forger, promoted to a server of the Unity first, logs and archives receipts its client never signed, and
 *   tries to settle one;
 * - the replayer logs a second request on a receipt that paid for one, and settles that receipt again;
 * - the inflater logs requests nobody paid for (no receipt archived behind them) —
 *
 * and the managers' duties (Auditor, Remover, promotion desk, period close) catch them: the audits find each one
 * (the cheats as proven cheating: the bad record, reputation 0.01), promotion is refused, the Remover removes the
 * cheaters with their deposit and every unreleased option forfeited to the reward pool and promotes the honest
 * temporary worker of the Unity in the forger's place in the same round; the ledger pays no forged receipt, the
 * channels pay exactly the receipts the clients signed, and the fee pool pays no cheater for the work it logged.
 * Repeated failed audits alone do not remove the dropper; silence does (as a vanished node: its deposit goes, what
 * it earned stays).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type AccountKey, authorizeSession, Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import {
  channelId,
  decodeReceipt,
  demoParams,
  economics,
  encodeReceipt,
  encodeTx,
  type LedgerParams,
  nodeReputation,
  promotionShortfall,
  REPUTATION_FLOOR,
  signAccountTx,
  signReceipt,
  txHash,
} from '../../../../node/ledger/index.ts';
import { Attacher } from '../../../../node/manager/attacher.ts';
import { Auditor } from '../../../../node/manager/auditor.ts';
import { submitTx } from '../../../../node/manager/index.ts';
import { PeriodCloser } from '../../../../node/manager/period-closer.ts';
import { Remover } from '../../../../node/manager/remover.ts';
import { type PeerRef, systemClock } from '../../../../node/net/index.ts';
import { WorkerClient } from '../../../../node/client/worker-client.ts';
import { ChannelSpender, MemorySpenderStore } from '../../../../node/worker/payments/index.ts';
import type { TemporaryWorker } from '../../../../node/worker/temporary-worker.ts';
import { ABC, accountKey, INVESTORS, managerAccount, owned } from '../../../support/ledger-chain.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { type Cleanup, oneManagerLedger, startTestWorker } from '../../../support/temporary-world.ts';
import { eventually } from '../../../support/wait.ts';

const cleanup: Cleanup = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * Promotion after one passed audit, at a 60 % pass rate — so that a cheat's record (2 of 3 audits passed) would
 * meet the rules but for its bad record, which alone must bar it —, a temporary deposit to lose, 3 s periods.
 */
const PARAMS: LedgerParams = {
  ...demoParams,
  promotionMinServed: 0n,
  promotionMinAudits: 1n,
  promotionAuditPassBps: 6_000n,
  promotionMinScore: 0n,
  promotionUptimeBps: 0n,
  depositTemporary: 2n * ABC,
  periodMs: 3_000n,
};
const HEARTBEAT_MS = 250;
const UNITY = 'u1';
const ROLES = ['honest', 'dropper', 'forger', 'replayer', 'inflater'] as const;
type Role = (typeof ROLES)[number];
/** Storage days bought per blob: 10,000 a a request, so income leaves a visible option tranche. */
const DAYS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Player {
  readonly role: Role;
  readonly payout: AccountKey;
  readonly worker: TemporaryWorker;
  readonly peer: PeerRef;
  readonly key: Uint8Array;
  readonly hex: string;
  api?: WorkerClient;
  spender?: ChannelSpender;
  channel?: Uint8Array;
}

async function world() {
  const { genesis, chain, unity, server, manager, view, duty, uptime } = await oneManagerLedger(cleanup, PARAMS, { heartbeatMs: HEARTBEAT_MS, clientLabel: 'cheating client' });

  const investors = accountKey(INVESTORS);
  let investorNonce = 0n;
  const fund = (to: string, amount: bigint, fee = 0n) =>
    submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: investorNonce++, fee, body: { to, amount } }, investors)));

  const players = new Map<Role, Player>();
  for (const [i, role] of ROLES.entries()) {
    const payout = accountKey(41 + i);
    await fund(payout.address, 150n * ABC);
    const { host, worker } = await startTestWorker(cleanup, {
      label: `cheating ${role}`,
      genesis,
      manager,
      payout,
      heartbeatMs: HEARTBEAT_MS,
      // Batches of two: the cheating entries fill the last sealed batch, which the audits sample.
      logBatchSize: 2,
    });
    players.set(role, { role, payout, worker, peer: host.peer, key: worker.key, hex: toHex(worker.key) });
  }
  const client = accountKey(50);
  await fund(client.address, 100n * ABC);
  return { chain, unity, server, manager, view, duty, uptime, fund, players: (role: Role) => players.get(role)!, all: [...players.values()], client };
}

describe('cheating temporary workers', () => {
  it('are caught by the audits, lose reputation, are never promoted, are removed with what they forfeit, and are not paid for what they did not do', async () => {
    const w = await world();
    const { chain, unity, manager, view, duty, uptime } = w;
    const p = w.players;
    const node = (role: Role) => view().node(p(role).key)!;
    const account = (role: Role) => view().account(p(role).payout.address);
    const rep = (role: Role) => nodeReputation(node(role), account(role).bad, PARAMS, view().chain().lastTime);

    // Registered (each paid the temporary deposit), attached by the attach duty to the one Unity, beating.
    await eventually('the registrations', () => (w.all.every((x) => view().node(x.key) !== undefined) ? true : undefined));
    for (const x of w.all) expect(view().node(x.key)).toMatchObject({ role: 'temporary', status: 'active', deposit: PARAMS.depositTemporary });
    const attacher = new Attacher({ duty, clock: systemClock, loads: () => [{ unity: UNITY, load: 100, servers: 6 }] });
    await eventually('the attachments', () => {
      attacher.round();
      return w.all.every((x) => view().node(x.key)?.unity === UNITY) ? true : undefined;
    });
    await eventually('serving and beating', () => (w.all.every((x) => x.worker.status().phase === 'serving' && uptime.knows(x.hex)) ? true : undefined));

    // A client with a channel to each worker pays two stores to each (one sealed batch each), and they settle.
    const session = Ed25519KeyPair.fromSeed(sha256(utf8('cheating test session')));
    const authorization = authorizeSession(w.client, session.publicKey, Date.now() + 3_600_000);
    const escrow = 10n * ABC;
    for (const [i, x] of w.all.entries()) {
      const nonce = BigInt(i);
      await submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'channel-open', nonce, fee: 0n, body: { currency: 'ABC', amount: escrow, payees: [x.key] } }, w.client)));
      x.channel = channelId(chain, w.client.address, nonce);
    }
    await eventually('the channels', () => (w.all.every((x) => view().channel(x.channel!) !== undefined) ? true : undefined));
    const blobs = new Map<Role, Uint8Array[]>();
    for (const x of w.all) {
      x.spender = new ChannelSpender({ channel: { id: x.channel!, escrow, payees: [x.key], currency: 'ABC' }, session, authorization, store: new MemorySpenderStore(), now: Date.now });
      x.api = new WorkerClient({ rpc: unity.client.rpc, worker: x.peer, payee: x.key, abc: x.spender, prices: () => PARAMS });
      const first = await eventually(`${x.role}'s first paid store`, async () => x.api!.store(utf8(`${x.role} blob 0`), DAYS).catch(() => undefined));
      const second = await x.api.store(utf8(`${x.role} blob 1`), DAYS);
      blobs.set(x.role, [first.address, second.address]);
      expect(x.worker.worker!.log.tail().sealedThrough).toBe(2);
    }
    const settled = (x: Player) => view().channel(x.channel!)?.paid[0] === x.spender!.total;
    await eventually('the settlements', () => (w.all.every(settled) ? true : undefined));

    // The first audits: everyone passes (both entries of its sealed batch, receipts and blobs).
    const auditor = new Auditor({ rpc: unity.host(0).rpc, random: labelledBytes('cheating audits'), clock: systemClock, duty, uptime, peerOf: () => undefined, perRound: 8, samples: 2 });
    const first = await auditor.round();
    expect(first.audited).toHaveLength(ROLES.length);
    for (const a of first.audited) expect(a).toMatchObject({ passed: 2, failed: 0, cheated: false });
    await eventually('the passed audits on the ledger', () => (w.all.every((x) => view().node(x.key)!.rep.auditsPassed === 2n) ? true : undefined));

    // The forger is promoted first: a server of the Unity (worker deposit frozen).
    expect(await p('forger').worker.applyForPromotion()).toMatchObject({ ok: true });
    await eventually('the forger promoted', () => (node('forger').role === 'worker' ? true : undefined));
    expect(node('forger')).toMatchObject({ unity: UNITY, deposit: PARAMS.depositWorker });

    // A period close freezes 20 % of each payout account's income (its settled receipts) as an option tranche.
    const closer = new PeriodCloser({ duty, clock: systemClock });
    const period = view().chain().period;
    await eventually('the first period close', () => {
      closer.round();
      return view().chain().period > period ? true : undefined;
    });
    for (const x of w.all) expect(view().account(x.payout.address).options.length).toBe(1);

    // The replayer serves one more paid request (income of this period) before it cheats; the honest one too.
    await p('replayer').api!.store(utf8('replayer blob 2'), DAYS);
    await p('honest').api!.store(utf8('honest blob 2'), DAYS);
    await eventually('those settled', () => (settled(p('replayer')) && settled(p('honest')) ? true : undefined));

    // ---- The cheating, on each worker's own stores.
    const fake = (label: string, receiptHash: Uint8Array) => ({
      requestId: receiptHash.subarray(0, 16),
      client: utf8(w.client.address),
      service: 'blob-get',
      bytes: 64 * 1024,
      computeUnits: 0,
      resultHash: sha256(utf8(label)),
      latencyMs: 1,
      receiptHash,
    });
    // (a) The dropper deletes the blobs it was paid to keep.
    const dropper = p('dropper').worker.worker!;
    for (const address of blobs.get('dropper')!) expect(dropper.blobs.delete(address)).toBe(true);
    // (b) The forger archives and logs receipts for more than its client owes, signed by a key of its own making.
    const forger = p('forger');
    const genuine = forger.worker.worker!.book.latest(forger.channel!)!;
    const signed = decodeReceipt(genuine.receipt).fields;
    const madeUp = Ed25519KeyPair.fromSeed(sha256(utf8('a session key the forger made up')));
    const forged = [1n, 2n].map((k) =>
      encodeReceipt(signReceipt(madeUp, { channel: forger.channel!, payee: forger.key, amount: signed.amount + k * ABC, nonce: signed.nonce + k })),
    );
    for (const [i, receipt] of forged.entries()) {
      forger.worker.worker!.archive.put(sha256(receipt), receipt, genuine.authorization, Date.now());
      await forger.worker.worker!.log.appendAsync(fake(`forged ${i}`, sha256(receipt)));
    }
    // (c) The replayer logs a second request on the receipt that paid for its last one.
    const replayer = p('replayer');
    const replayed = replayer.worker.worker!.book.latest(replayer.channel!)!;
    await replayer.worker.worker!.log.appendAsync(fake('replayed', sha256(replayed.receipt)));
    // (d) The inflater logs two requests nobody paid for.
    const inflater = p('inflater');
    for (let i = 0; i < 2; i++) await inflater.worker.worker!.log.appendAsync(fake(`inflated ${i}`, sha256(utf8(`no such receipt ${i}`))));
    for (const role of ['forger', 'replayer', 'inflater'] as const) expect(p(role).worker.worker!.log.tail().sealedThrough).toBe(4);

    // Not paid for it: the ledger refuses the forged receipt; settling the replayed receipt again pays nothing.
    const settle = (x: Player, receipt: Uint8Array, auth: Uint8Array) =>
      submitTx(
        unity.client.rpc,
        manager,
        encodeTx(signAccountTx({ chain, kind: 'channel-settle', nonce: view().account(x.payout.address).nonce, fee: 0n, body: { receipt, authorization: auth } }, x.payout)),
      );
    const forgedSettle = await settle(forger, forged[1]!, genuine.authorization);
    expect(await eventually('the forged settlement', () => w.server.chain.tx(forgedSettle))).toMatchObject({ code: 'BAD_SIGNATURE' });
    const replaySettle = await settle(replayer, replayed.receipt, replayed.authorization);
    expect(await eventually('the replayed settlement', () => w.server.chain.tx(replaySettle))).toMatchObject({ code: null });
    for (const x of w.all) expect(view().channel(x.channel!)!.paid[0]).toBe(x.spender!.total);

    // Their heartbeats carry what the logs grew by: the units of the logged requests nobody paid.
    const beats = new Map(w.all.map((x) => [x.role, x.worker.status().heartbeats]));
    await eventually('heartbeats after the cheating', () => (w.all.every((x) => x.worker.status().heartbeats >= beats.get(x.role)! + 2) ? true : undefined));

    // ---- The audits catch them.
    const before = new Map(ROLES.map((r) => [r, rep(r)]));
    const second = await auditor.round();
    const outcome = (role: Role) => second.audited.find((a) => toHex(a.node) === p(role).hex)!;
    expect(outcome('honest')).toMatchObject({ passed: 2, failed: 0, cheated: false });
    expect(outcome('dropper')).toMatchObject({ passed: 0, failed: 2, cheated: false });
    expect(outcome('dropper').findings.join('\n')).toMatch(/blob/);
    expect(outcome('forger')).toMatchObject({ cheated: true });
    expect(outcome('forger').findings.join('\n')).toMatch(/BAD_SIGNATURE|not signed/);
    expect(outcome('replayer')).toMatchObject({ cheated: true });
    expect(outcome('replayer').findings.join('\n')).toMatch(/replay/);
    expect(outcome('inflater')).toMatchObject({ cheated: true });
    expect(outcome('inflater').findings.join('\n')).toMatch(/no receipt/);
    await eventually('the second report on the ledger', () => (node('dropper').rep.auditsFailed === 2n && node('inflater').rep.bad ? true : undefined));

    // Reputation: the dropper's falls (audit pass rate 2 of 4) but it has no bad record; a proven cheat's is 0.01.
    expect(node('dropper').rep).toMatchObject({ auditsPassed: 2n, auditsFailed: 2n, bad: false });
    expect(rep('dropper')).toBeLessThan(before.get('dropper')!);
    expect(rep('dropper')).toBeLessThan(rep('honest'));
    for (const role of ['forger', 'replayer', 'inflater'] as const) {
      expect(node(role).rep.bad).toBe(true);
      expect(before.get(role)!).toBeGreaterThan(REPUTATION_FLOOR);
      expect(rep(role)).toBe(REPUTATION_FLOOR);
    }
    expect(rep('honest')).toBeGreaterThan(REPUTATION_FLOOR);
    // Their logged requests nobody paid for are on the ledger as workload (the fee pool must not pay it).
    expect(node('inflater').workload).toBeGreaterThanOrEqual(128n);

    // Never promoted: the managers refuse, naming why; the ledger refuses a bad record too.
    expect(await p('dropper').worker.applyForPromotion()).toMatchObject({ ok: false, code: 'NOT_ELIGIBLE', field: 'params.promotionAuditPassBps' });
    for (const role of ['replayer', 'inflater'] as const) {
      // Its counters alone meet every promotion rule: only the bad record stops it.
      expect(promotionShortfall(node(role).rep, PARAMS, view().chain().lastTime)).toBeUndefined();
      expect(await p(role).worker.applyForPromotion()).toMatchObject({ ok: false, code: 'BAD_ROLE', message: expect.stringMatching(/bad record/) });
    }
    const promote = duty.submit('promote', { node: p('inflater').key })!;
    expect(await eventually('the promotion of a cheat', () => w.server.chain.tx(txHash(promote)))).toMatchObject({ code: 'BAD_ROLE' });

    // ---- The removal round: the cheaters go, forfeiting deposit and every unreleased option (and the held part of
    // this period's income) to the reward pool; the honest temporary worker takes the forger's place; the dropper
    // stays (failed audits are not proven cheating).
    const cheaters = ['forger', 'replayer', 'inflater'] as const;
    const held = new Map(cheaters.map((r) => [r, { deposit: node(r).deposit, account: account(r) }]));
    expect(held.get('replayer')!.account.periodIncome).toBeGreaterThan(0n);
    for (const r of cheaters) expect(held.get(r)!.account.options.some((t) => t.total > t.released)).toBe(true);
    const pool = view().pools().rewardPool;
    const managerOwned = () => owned(view().account(managerAccount(0).address));
    const managerBefore = managerOwned();
    const remover = new Remover({ duty, clock: systemClock, silentIntervals: 8n });
    const removals = remover.round();
    expect(removals.map((r) => [toHex(r.node), r.cheating]).sort()).toEqual(cheaters.map((r) => [p(r).hex, true]).sort());
    const forgerRemoval = removals.find((r) => toHex(r.node) === forger.hex)!;
    expect(forgerRemoval.replacement && toHex(forgerRemoval.replacement)).toBe(p('honest').hex);
    await eventually('the removals and the promotion', () =>
      cheaters.every((r) => node(r).status === 'removed') && node('honest').role === 'worker' ? true : undefined,
    );
    let forfeit = 0n;
    for (const r of cheaters) {
      const was = held.get(r)!;
      // What the account held in options (some released since: the removal releases what is due first).
      const unreleased = was.account.options.reduce((sum, t) => sum + t.total - t.released, 0n);
      const income = economics.frozenPart(PARAMS, was.account.periodIncome);
      expect(node(r)).toMatchObject({ status: 'removed', deposit: 0n, rep: { bad: true } });
      expect(account(r)).toMatchObject({ bad: true, options: [], periodIncome: 0n });
      const lost = owned(was.account) - owned(account(r));
      expect(lost).toBeGreaterThan(income);
      expect(lost).toBeLessThanOrEqual(unreleased + income);
      forfeit += was.deposit + lost;
    }
    // The pool took every forfeit; what it lost meanwhile are the blocks' rewards, which the manager earned.
    expect(view().pools().rewardPool - pool + (managerOwned() - managerBefore)).toBe(forfeit);
    expect(node('honest')).toMatchObject({ role: 'worker', status: 'active', unity: UNITY, deposit: PARAMS.depositWorker });
    await eventually('the honest worker promoted', () => (p('honest').worker.status().phase === 'promoted' ? true : undefined));
    expect(node('dropper')).toMatchObject({ role: 'temporary', status: 'active' });
    for (const role of cheaters) expect(await p(role).worker.applyForPromotion()).toMatchObject({ ok: false, code: 'BAD_ROLE' });

    // ---- The fee pool at the next close pays the honest worker's workload, none of the cheaters'.
    await w.fund(accountKey(60).address, 1n, 2n * ABC);
    await eventually('the honest workload on the ledger', async () => {
      await auditor.round();
      return node('honest').workload > 0n && view().pools().workerFeePool > 0n ? true : undefined;
    });
    const feePool = view().pools().workerFeePool;
    const ownedBefore = new Map(ROLES.map((r) => [r, owned(account(r))]));
    const next = view().chain().period;
    await eventually('the second period close', async () => {
      // (Blocks come with transactions: the reports move the ledger's time past the period's end.)
      if (closer.round() === undefined) await auditor.round();
      return view().chain().period > next ? true : undefined;
    });
    for (const r of cheaters) expect(owned(account(r))).toBe(ownedBefore.get(r));
    expect(owned(account('honest')) - ownedBefore.get('honest')!).toBe(feePool);

    // ---- Repeated failed audits: still active, never promoted (the Remover removes proven cheats and silence only).
    for (let i = 0; i < 2; i++) {
      const round = await auditor.round();
      expect(round.audited.find((a) => toHex(a.node) === p('dropper').hex)).toMatchObject({ failed: 2, cheated: false });
    }
    await eventually('six failed audits', () => (node('dropper').rep.auditsFailed >= 6n ? true : undefined));
    expect(remover.round()).toEqual([]);
    expect(node('dropper')).toMatchObject({ status: 'active', rep: { bad: false } });
    expect(await p('dropper').worker.applyForPromotion()).toMatchObject({ ok: false, code: 'NOT_ELIGIBLE' });

    // ---- Silence: it stops beating; once the ledger shows enough silent intervals it is removed as vanished —
    // deposit forfeited, what it earned (balance and options) kept, no bad record.
    p('dropper').worker.pauseHeartbeats(true);
    await sleep(3 * HEARTBEAT_MS);
    await auditor.round(); // closes its last seen interval
    await sleep(12 * HEARTBEAT_MS);
    const reported = view().chain().lastTime;
    await auditor.round();
    await eventually('the silent intervals on the ledger', () => (view().chain().lastTime > reported && node('dropper').rep.uptime.at(-1)?.seen === 0n ? true : undefined));
    const dropperAccount = account('dropper');
    const pool2 = view().pools().rewardPool;
    const manager2 = managerOwned();
    const vanished = remover.round();
    expect(vanished.map((r) => [toHex(r.node), r.cheating])).toEqual([[p('dropper').hex, false]]);
    expect(vanished[0]!.reason).toMatch(/silent/);
    await eventually('the dropper removed', () => (node('dropper').status === 'removed' ? true : undefined));
    expect(node('dropper')).toMatchObject({ deposit: 0n, rep: { bad: false } });
    expect(account('dropper')).toMatchObject({ bad: false, options: dropperAccount.options });
    expect(owned(account('dropper'))).toBe(owned(dropperAccount));
    expect(view().pools().rewardPool - pool2 + (managerOwned() - manager2)).toBe(PARAMS.depositTemporary);
  });
});
