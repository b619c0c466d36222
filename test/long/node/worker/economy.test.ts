/**
 * The economy end to end (issue 7, SPEC §6–§7) on real libp2p over loopback: a Manager Ring Unity of six managers
 * (consensus, ledger, the duties of `ame up`: audits and heartbeat reports, attachment, period close), a Worker Ring
 * of two Unities of six servers each (registered as workers, serving blobs and messages for receipts, settling
 * them), three temporary workers (each its own host and light client, attached by the managers, beating to their
 * Unity's index servers) and two clients, Alice and Bob. The clients are introduced by the managers (introduction
 * fee by receipt on a Manager Ring channel), store and fetch blobs on the temporary workers the index servers offer
 * (ABC channels per Unity) and exchange end-to-end encrypted messages through the ring servers that hold their
 * mailboxes and through the temporary workers (ABIT channels, ABIT converted from ABC). Everyone settles.
 *
 * Then the ledger is checked against an independent model of SPEC §7 (test/support/economy-model.ts, its formulas
 * in test/support/economy-rules.ts), which replays every block of manager 0's chain store — who proposed, who led,
 * whose votes the certificate carries, the transactions' sizes, fees, kinds and whether they succeeded — and
 * computes every amount itself: block rewards M·f split 5 : 3 : 2, the miner's ⌊T/2⌋ of fees, the worker fee pool
 * shared at the period close by the audited workload units, work rewards for received ABIT (burned), settlements,
 * conversions, deposits, the 20 % option tranche of each account's period income, the ABIT allowance and the fund's
 * release. Every account (every
 * client, each temporary worker's payout, the ring servers' payout, each manager's, the genesis accounts), the
 * three pools, the node deposits and workloads, the channels and the supply totals must equal the model's to the
 * micro-unit after the period close and at every vesting check, and the client side's own truth (what the
 * spenders signed per payee) must equal what the ledger paid on each channel.
 *
 * The network is composed in test/support/economy-world.ts; the chain store is read for the model, and the ledger's
 * state put in the model's shape, by test/support/economy-ledger.ts.
 *
 * Virtual time: block time is the ledger's clock, and the managers run on a shifted clock (real time plus an offset
 * the test moves forward), so a 40-day period and 1-day vesting days pass in seconds. The traffic and every
 * settlement happen before the first shift (the clients' session authorisations are checked against block time).
 *
 * Seen on the way (not a failure here, the model follows the ledger's rule): a proposer that has not gathered its
 * head's certificate within build.ts's wait proposes without it, and that head's voters are never paid their 2/10
 * (it stays in the reward pool) — a few blocks of every run, at ordinary 1 s gaps too; the test prints which.
 *
 * Modelled as zero or left out, and why: no channel is closed, nobody is promoted, removed or exits (the model
 * refuses those kinds, so a stray one fails the test); the reward pool is kept solvent (U_1 = 1,000 ABC for an
 * expected 100,000 blocks a period) so no reward is scaled down pro rata. Everything else is live and non-zero:
 * fees (minFee 1,000 a on every account transaction), block rewards with the fullness factor, introduction fees,
 * storage and bandwidth receipts, ABIT work rewards, fee-pool shares, vesting and the allowance.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { introduce } from '../../../../node/client/introductions.ts';
import { Messenger } from '../../../../node/client/messenger.ts';
import { WorkerClient } from '../../../../node/client/worker-client.ts';
import { bytesEqual, ed25519KeyFromPeerId, toHex as hex, utf8 } from '../../../../node/crypto/index.ts';
import { accountAt, checkInvariants, spendable } from '../../../../node/ledger/index.ts';
import type { Host, PeerRef } from '../../../../node/net/index.ts';
import { unityOfKey } from '../../../../node/ring/locate.ts';
import { buildBlob } from '../../../../node/services/blobs/index.ts';
import type { ChannelSpender } from '../../../../node/worker/payments/index.ts';
import type { TemporaryWorker } from '../../../../node/worker/temporary-worker.ts';
import { unitsOf } from '../../../../node/worker/workload.ts';
import { economy, modelBlock, modelGenesis, stateAfter, sums } from '../../../support/economy-ledger.ts';
import { EconomyModel } from '../../../support/economy-model.ts';
import { released, tranche } from '../../../support/economy-rules.ts';
import { clientChannels, DAY, startEconomyWorld } from '../../../support/economy-world.ts';
import { ABC, ABIT, managerNode } from '../../../support/ledger-chain.ts';
import type { Cleanup } from '../../../support/temporary-world.ts';
import { eventually } from '../../../support/wait.ts';

const cleanup: Cleanup = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('the economy, end to end', () => {
  it('pays every account what the receipts, rewards and pool shares of SPEC §7 give, and vests the options daily', async () => {
    const started = Date.now();
    // ---- The network, the funded accounts and three temporary workers ----
    const { genesis, clock, unity, ring, lead, view, chain, params, map, nodes, servers, ringPayout, flow, flowDir, payouts, alice, bob, aliceHost, bobHost, temps, tempPeers } =
      await startEconomyWorld(cleanup);
    const ringIndex = new Map(nodes.map((n, i) => [n.host.id, i]));

    // ---- The temporary workers, attached by the managers, beating to their Unity's index servers ----
    const unityOf = (key: Uint8Array) => view().node(key)?.unity ?? '';
    const setUp = Date.now() - started;
    await eventually('the temporary workers attached and beating', () => (temps.every((t) => unityOf(t.key) !== '' && t.status().indexBeats > 0) ? true : undefined), 90_000);
    const attachedMs = Date.now() - started;
    const attached = (u: number) => temps.filter((t) => unityOf(t.key) === map.unities[u]!.id);
    expect(attached(0).length + attached(1).length).toBe(3);
    expect(attached(0).length).toBeGreaterThan(0);
    expect(attached(1).length).toBeGreaterThan(0);

    // ---- The clients' channels ----
    const { spenders, submitAs, open } = clientChannels(lead, chain, params.minFee);
    const managerKeys = unity.live.map((k) => managerNode(k).publicKey.bytes);
    const serverKeys = (u: number) => map.unities[u]!.servers.map((s) => ring.keys[ringIndex.get(s.id)!]!.publicKey.bytes);
    const allWorkers = [...serverKeys(0), ...serverKeys(1), ...temps.map((t) => t.key)];
    await submitAs(alice, 'convert', { amount: ABC });
    await submitAs(bob, 'convert', { amount: ABC });
    const aliceIntro = await open(alice, 'ABC', ABC, managerKeys);
    const bobIntro = await open(bob, 'ABC', ABC, managerKeys);
    const blobChannels = [await open(alice, 'ABC', 10n * ABC, [...serverKeys(0), ...attached(0).map((t) => t.key)]), await open(alice, 'ABC', 10n * ABC, [...serverKeys(1), ...attached(1).map((t) => t.key)])];
    const aliceAbit = await open(alice, 'ABIT', 200n * ABIT, allWorkers);
    const bobAbit = await open(bob, 'ABIT', 200n * ABIT, allWorkers);

    const fee = params.introductionFee;
    let introductions = 0n;
    const introduceAs = (host: Host, spender: ChannelSpender, key: Uint8Array, kind: 'blob' | 'mail') => {
      introductions += 1n;
      return introduce({ rpc: host.rpc, managers: unity.live.map((k) => unity.host(k).peer), spender, fee }, key, kind);
    };
    const clientOf = (host: Host, worker: PeerRef, pay: { abc?: ChannelSpender; abit?: ChannelSpender }) =>
      new WorkerClient({ rpc: host.rpc, worker, payee: ed25519KeyFromPeerId(worker.id), ...pay, prices: () => view().params() });

    // ---- Blobs: stored and fetched on the temporary workers the index servers offer ----
    const served = () => temps.map((t) => t.status().served);
    for (let j = 0; served().some((n) => n < 2); j++) {
      expect(j).toBeLessThan(40);
      const u = j % 2;
      let data = utf8(`economy blob ${j} `.repeat(150));
      for (let i = 0; unityOfKey(map, buildBlob(data).address) !== u; i++) data = utf8(`economy blob ${j}.${i} `.repeat(150));
      const address = buildBlob(data).address;
      const introduced = await introduceAs(aliceHost, aliceIntro, address, 'blob');
      const worker = introduced.offer[0]!;
      expect(temps.map((t) => hex(t.key))).toContain(hex(ed25519KeyFromPeerId(worker.id)));
      const api = clientOf(aliceHost, worker, { abc: blobChannels[u]! });
      expect((await api.store(data)).address).toEqual(address);
      expect(await api.fetch(address, data.length)).toEqual(data);
    }

    // ---- Messages: through the mailboxes' ring servers (mail introductions) and through the temporary workers ----
    const aliceBox = Messenger.open(join(flowDir, 'alice'));
    const bobBox = Messenger.open(join(flowDir, 'bob'));
    const sendTo = async (from: { host: Host; box: Messenger; abit: ChannelSpender }, to: Messenger, worker: PeerRef, text: string) => {
      const envelope = from.box.seal(to.address, text, from.box.hasSession(to.address) ? undefined : to.bundle());
      await clientOf(from.host, worker, { abit: from.abit }).send(to.address, envelope);
    };
    const readAt = async (host: Host, box: Messenger, worker: PeerRef): Promise<string[]> => {
      const api = clientOf(host, worker, {});
      const items = await api.inbox(box.identity.signing);
      const opened = box.open(worker.id, items);
      await api.ack(box.identity.signing, items.map((i) => i.seq));
      box.forget(worker.id, items.map((i) => i.seq));
      return opened.map((m) => m.text ?? `(${m.error})`);
    };
    const A = { host: aliceHost, box: aliceBox, abit: aliceAbit };
    const B = { host: bobHost, box: bobBox, abit: bobAbit };
    const bobsMailbox = (await introduceAs(aliceHost, aliceIntro, bobBox.address, 'mail')).offer[0]!;
    expect(ringIndex.has(bobsMailbox.id)).toBe(true);
    for (const n of [1, 2, 3]) await sendTo(A, bobBox, bobsMailbox, `hello Bob ${n}`);
    const bobReads = (await introduceAs(bobHost, bobIntro, bobBox.address, 'mail')).offer[0]!;
    expect(bobReads.id).toBe(bobsMailbox.id);
    expect(await readAt(bobHost, bobBox, bobReads)).toEqual(['hello Bob 1', 'hello Bob 2', 'hello Bob 3']);
    const alicesMailbox = (await introduceAs(bobHost, bobIntro, aliceBox.address, 'mail')).offer[0]!;
    for (const n of [1, 2]) await sendTo(B, aliceBox, alicesMailbox, `hello Alice ${n}`);
    expect(await readAt(aliceHost, aliceBox, (await introduceAs(aliceHost, aliceIntro, aliceBox.address, 'mail')).offer[0]!)).toEqual(['hello Alice 1', 'hello Alice 2']);
    for (const [i, peer] of tempPeers.entries()) {
      for (let n = 0; n <= i; n++) await sendTo(A, bobBox, peer, `via ${i}: ${n}`);
      expect(await readAt(bobHost, bobBox, peer)).toEqual(Array.from({ length: i + 1 }, (_, n) => `via ${i}: ${n}`));
    }
    expect(served().every((n) => n >= 3)).toBe(true);

    // ---- Settled: every payee got exactly what the clients signed to it; every unit of work reported ----
    const owedTo = (spender: ChannelSpender) => spender.channel.payees.filter((p) => spender.owed(p) > 0n);
    const unsettled = () =>
      spenders.flatMap((s) => {
        const record = view().channel(s.channel.id)!;
        return owedTo(s).filter((p) => record.paid[record.payees.findIndex((q) => bytesEqual(q, p))] !== s.owed(p)).map((p) => `${hex(p).slice(0, 8)} on ${hex(s.channel.id).slice(0, 8)}`);
      });
    await eventually('every receipt settled', () => (unsettled().length === 0 ? true : undefined), 60_000);
    // A temporary worker's workload units: ⌈bytes / 1 KiB⌉ + compute units over its service log, as reported.
    const unitsLogged = (t: TemporaryWorker) => {
      const log = t.worker!.log;
      let units = 0n;
      for (let seq = 1; seq <= log.tail().seq; seq++) units += BigInt(unitsOf(log.getEntry(seq)));
      return units;
    };
    await eventually('every workload unit reported', () => (temps.every((t) => view().node(t.key)!.workload === unitsLogged(t)) ? true : undefined), 30_000);
    const units = temps.map(unitsLogged);
    const reportedMs = Date.now() - started;
    expect(units.every((u) => u > 0n)).toBe(true);
    // Nothing left to settle: the books hold no receipt beyond what the ledger paid.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(unsettled()).toEqual([]);
    const settledAt = Date.now() - started;

    // ---- The period closes (the managers' clock moves to its end) ----
    const periodEnd = genesis.time + params.periodMs;
    clock.reach(periodEnd);
    await eventually('the period close', () => (view().chain().period === 2n ? true : undefined), 60_000);
    const closeTime = view().chain().periodStart;
    expect(closeTime).toBeGreaterThanOrEqual(periodEnd);

    // ---- Vesting: the managers' clock moves day by day (1, 2, 29 and 30 days after the close) ----
    const dayHeights: { day: bigint; height: bigint }[] = [];
    for (const day of [1n, 2n, 29n, 30n]) {
      clock.reach(closeTime + day * DAY);
      const height = await eventually(`day ${day}`, () => {
        const c = view().chain();
        return c.lastTime >= closeTime + day * DAY ? c.height : undefined;
      }, 30_000);
      dayHeights.push({ day, height });
    }
    const lastHeight = view().chain().height;

    // ---- The model replays the chain; the ledger must agree with it everywhere, to the micro-unit ----
    const model = new EconomyModel(modelGenesis(genesis));
    const checkAt = new Set([...dayHeights.map((d) => d.height), lastHeight]);
    const nodeKeys = [...servers.map((_, i) => hex(ring.keys[i]!.publicKey.bytes)), ...temps.map((t) => hex(t.key))];
    const checked: bigint[] = [];
    const check = (h: bigint) => {
      checked.push(h);
      const ledger = stateAfter(lead, h);
      const addresses = [...new Set([...model.addresses(), ...[...ledger.view.records()].flatMap((r) => (r.t === 'account' ? [r.address] : []))])].sort();
      expect(economy(ledger, addresses, nodeKeys), `the economy after block ${h}`).toEqual(economy(model, addresses, nodeKeys));
      // Invariants: the ledger's own check, a sum over every record made here, and the model's.
      const report = checkInvariants(ledger.view);
      expect(sums(ledger.view, ledger.time)).toEqual({ abc: report.expectedAbc, abit: report.expectedAbit });
      const supply = model.supply();
      expect({ abc: supply.abc, abit: supply.abit }).toEqual({ abc: report.expectedAbc, abit: report.expectedAbit });
      expect(report.expectedAbc).toBe(genesis.supply - ledger.view.totals().abcBurned);
    };
    // What the chain exercised: proposers, PBFT leaders, certificate voters, fees, empty blocks.
    const seen = { proposers: new Set<string>(), leaders: 0, voters: Infinity, uncertified: [] as string[], fees: 0n, txBytes: 0, empty: 0 };
    let parentTime = genesis.time;
    for (let h = 1n; h <= lastHeight; h++) {
      const block = modelBlock(lead, h);
      if (block.kind === 'empty') seen.empty += 1;
      else seen.proposers.add(block.proposer);
      seen.leaders = Math.max(seen.leaders, block.leaders.length);
      // A proposer that has not gathered its head's certificate in time proposes without it (build.ts): that
      // head's voters go unpaid. Waiting is measured on the managers' clock, which the test shifts.
      if (h > 1n && block.parentVoters.length === 0) seen.uncertified.push(`${h} (+${block.time - parentTime} ms)`);
      else if (h > 1n) seen.voters = Math.min(seen.voters, block.parentVoters.length);
      parentTime = block.time;
      for (const tx of block.txs) {
        seen.fees += tx.fee;
        seen.txBytes += tx.bytes;
      }
      const closing = block.txs.some((t) => t.ok && t.effect.kind === 'workload' && t.effect.close);
      // Before and after the close, after each vesting day and at the end.
      if (closing) check(h - 1n);
      model.apply(block);
      if (closing || checkAt.has(h)) check(h);
    }
    expect(checked.length).toBeGreaterThanOrEqual(6);
    expect(seen.proposers.size).toBeGreaterThanOrEqual(2);
    expect(seen.leaders).toBeGreaterThanOrEqual(1);
    // Every certificate a block carries holds a quorum of the six managers (⌊2n/3⌋ + 1).
    expect(seen.voters).toBeGreaterThanOrEqual(5);
    expect(seen.fees).toBeGreaterThan(0n);
    for (const k of unity.live) {
      const stats = unity.server(k).stats();
      expect(stats.invariantViolations).toBe(0);
    }

    // ---- The SPEC's sentences, one by one, for the temporary workers ----
    expect(model.closes.map((c) => c.time)).toEqual([closeTime]);
    const [close] = model.closes;
    const closeHeight = close!.height;
    const owed = (payee: Uint8Array, currency: 'ABC' | 'ABIT') => spenders.filter((s) => s.channel.currency === currency).reduce((sum, s) => sum + s.owed(payee), 0n);
    const totalUnits = units.reduce((a, b) => a + b, 0n);
    const vesting: string[] = [];
    expect(close!.feePool).toBeGreaterThan(0n);
    for (const [i, t] of temps.entries()) {
      const address = payouts[i]!.address;
      const receipts = owed(t.key, 'ABC');
      const workReward = owed(t.key, 'ABIT') / 1_000n;
      const share = (close!.feePool * units[i]!) / totalUnits;
      expect(receipts).toBeGreaterThan(0n);
      expect(workReward).toBe(BigInt(i + 1) * 1_000n);
      expect(close!.shares.get(hex(t.key))).toBe(share);
      expect(close!.workRewards.get(address)).toBe(workReward);
      const income = receipts + workReward + share;
      expect(close!.income.get(address)).toBe(income);
      const { frozen, daily, last } = tranche(params, income);
      const afterClose = stateAfter(lead, closeHeight);
      const account = accountAt(afterClose.view, params, address, afterClose.time);
      expect(account.options).toEqual([{ total: frozen, released: 0n, start: closeTime }]);
      // The payout paid the settlements' fees out of the 2 ABC it was funded with; no other income after the close.
      expect(daily).toBeGreaterThan(0n);
      const spendableAfterClose = spendable(params, account);
      const grown = new Map<bigint, bigint>();
      for (const { day, height } of dayHeights) {
        const at = stateAfter(lead, height);
        expect(released(params, frozen, closeTime, at.time)).toBe(day >= params.optionDays ? frozen : daily * day);
        grown.set(day, spendable(params, accountAt(at.view, params, address, at.time)) - spendableAfterClose);
      }
      // 1 and 2 days: one daily part each; 29 days: 29 parts; the 30th day: the last part, the remainder with it.
      expect(grown.get(1n), `${address} day 1`).toBe(daily);
      expect(grown.get(2n)! - grown.get(1n)!, `${address} day 2`).toBe(daily);
      expect(grown.get(29n), `${address} day 29`).toBe(29n * daily);
      expect(grown.get(30n)! - grown.get(29n)!, `${address} day 30`).toBe(last);
      expect(grown.get(30n)).toBe(frozen);
      vesting.push(`${address.slice(0, 6)}: income ${income} a, frozen ${frozen} a, ${daily} a a day, ${last} a on day 30`);
    }
    // The ring servers' payout: the ABIT of every message they carried, burned for its work reward.
    const ringAbit = nodes.reduce((sum, _, i) => sum + owed(ring.keys[i]!.publicKey.bytes, 'ABIT'), 0n);
    expect(ringAbit).toBe(5n * ABIT);
    expect(close!.workRewards.get(ringPayout.account.address)).toBe(ringAbit / 1_000n);
    // The managers: the introduction fees they were paid, on the Manager Ring channels.
    const paidIntroductions = managerKeys.reduce((sum, k) => sum + aliceIntro.owed(k) + bobIntro.owed(k), 0n);
    expect(paidIntroductions).toBe(introductions * fee);
    expect(flow.desks.reduce((sum, d) => sum + d.stats().earned, 0n)).toBe(introductions * fee);
    console.info(`economy: set up ${setUp} ms, attached ${attachedMs} ms, traffic reported ${reportedMs} ms, settled ${settledAt} ms, ${lastHeight} blocks (checked at ${checked.join(', ')}; ${seen.proposers.size} proposers, without the parent's certificate: ${seen.uncertified.join(', ') || 'none'}, ${seen.empty} empty, fees ${seen.fees} a, ${seen.txBytes} tx bytes), whole test ${Date.now() - started} ms\n${vesting.join('\n')}`);
  });
});
