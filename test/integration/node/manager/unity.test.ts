import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { checkInvariants, ed25519Verify, headerHash, verifyCertificate } from '../../../../node/ledger/index.ts';
import { BLOCK_COMPACT_METHOD, ManagerError, submitTx } from '../../../../node/manager/index.ts';
import { MANAGER_COUNT, testGenesis } from '../../../support/ledger-chain.ts';
import { TestUnity, type Transfer } from '../../../support/manager-unity.ts';
import { until } from '../../../support/ring-net.ts';

// One Unity: six manager servers, each a libp2p host on 127.0.0.1 with its store files, a ledger, ACP and its
// reactor (test/support/manager-unity.ts).
const running: TestUnity[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
});

function expectBalances(unity: TestUnity, sent: readonly Transfer[]): void {
  for (const i of unity.live) {
    const view = unity.server(i).ledger.finalView();
    for (const t of sent) expect(view.account(t.to).abc, `manager ${i}, recipient of ${t.amount}`).toBe(t.amount);
    checkInvariants(view);
    const stats = unity.server(i).stats();
    expect(stats.invariantViolations, `manager ${i}: blocks after which the invariants failed`).toBe(0);
    expect(stats.invariantChecks, `manager ${i}: every applied block checked`).toBe(stats.applied);
    expect(unity.server(i).mempool.size, `manager ${i} mempool`).toBe(0);
  }
}

describe('Manager Ring: one Unity of six managers over libp2p', () => {
  it('finalises blocks with transactions submitted by clients, and goes on without one manager', async () => {
    const unity = await TestUnity.start();
    running.push(unity);
    // Manager 5 never receives pushed (compact) bodies: it has to fetch every decided block from the others.
    unity.host(5).rpc.unhandle(BLOCK_COMPACT_METHOD);
    const firstBatch = unity.transfers(10);
    const senders = [...new Set(firstBatch.map((t) => t.from))];
    const before = new Map(senders.map((s) => [s.address, unity.server(0).ledger.finalView().account(s.address).abc]));

    const t0 = Date.now();
    // Transfer 4 is its sender's nonce 1: submitted before nonce 0 it is pooled (ahead) but cannot be applied yet,
    // so submitting it again is a DUPLICATE for sure.
    const ahead = firstBatch[4]!;
    expect(await submitTx(unity.client.rpc, unity.host(4).peer, ahead.bytes)).toHaveLength(32);
    const dup = await submitTx(unity.client.rpc, unity.host(4).peer, ahead.bytes).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ManagerError);
    expect((dup as ManagerError).code).toBe('DUPLICATE');
    for (const [j, t] of firstBatch.entries()) {
      if (j !== 4) expect(await submitTx(unity.client.rpc, unity.host(j % MANAGER_COUNT).peer, t.bytes)).toHaveLength(32);
    }
    // Typed refusals: bytes that are no transaction, a nonce already spent.
    const junk = await submitTx(unity.client.rpc, unity.host(1).peer, Uint8Array.of(1, 2, 3)).catch((e: unknown) => e);
    expect((junk as ManagerError).code).toBe('REJECTED');
    expect((junk as ManagerError).reason).toBe('MALFORMED');

    const submitMs = Date.now() - t0;
    const head = await unity.settle(firstBatch, 'six managers to apply the ten transfers');
    const spent = await submitTx(unity.client.rpc, unity.host(2).peer, firstBatch[0]!.bytes).catch((e: unknown) => e);
    expect([(spent as ManagerError).code, (spent as ManagerError).reason]).toEqual(['REJECTED', 'BAD_NONCE']);
    const firstMs = Date.now() - t0;
    expect(head.height).toBeGreaterThanOrEqual(1n);
    expect(unity.server(5).stats().fetched, 'bodies manager 5 fetched').toBeGreaterThan(0);
    expectBalances(unity, firstBatch);
    for (const s of senders) {
      const sent = firstBatch.filter((t) => t.from === s).reduce((n, t) => n + t.amount, 0n);
      for (const i of unity.live) {
        const account = unity.server(i).ledger.finalView().account(s.address);
        expect(account.abc, `manager ${i} sender`).toBe(before.get(s.address)! - sent);
        expect(account.nonce).toBe(unity.nonces.get(s.address));
      }
    }

    // Every manager gathered the head's ledger certificate: a quorum of the managers' signatures on its header.
    const managerKeys = testGenesis().managers.map((m) => m.key);
    await until(() => unity.live.every((i) => unity.server(i).certificate(head.hash) !== undefined), 5_000, 'head certificates');
    for (const i of unity.live) {
      const signers = verifyCertificate(head.hash, unity.server(i).certificate(head.hash)!, managerKeys, ed25519Verify);
      expect(signers.length).toBeGreaterThanOrEqual(5);
    }
    const headBlock = unity.server(0).headBlock()!;
    expect(headerHash(headBlock.header)).toEqual(head.hash);

    // The leader of the head block goes away (manager 0 if the standby led it); three more transfers go to the
    // others, the five remaining apply them, and the standby takes over the stopped member's role within 5 s.
    const leader = managerKeys.findIndex((k) => toHex(k) === toHex(headBlock.header.proposer));
    const victim = leader === 5 ? 0 : leader;
    const stoppedAt = Date.now();
    await unity.stopMember(victim);
    const secondBatch = unity.transfers(3);
    const t1 = Date.now();
    const targets = unity.live;
    for (const [k, t] of secondBatch.entries()) await submitTx(unity.client.rpc, unity.host(targets[k]!).peer, t.bytes);
    const after = await unity.settle(secondBatch, 'five managers to apply three more transfers');
    const secondMs = Date.now() - t1;
    expect(after.height).toBeGreaterThan(head.height);
    expectBalances(unity, [...firstBatch, ...secondBatch]);
    await until(() => unity.server(5).roles()[victim]!.holder === 5, 5_000 - (Date.now() - stoppedAt), 'the standby to take over');
    const tookOver = unity.logs.find((l) => l.member === 5 && l.msg === 'took over a failed role' && l.fields['role'] === victim);
    expect(tookOver, 'the takeover is logged by the standby').toBeDefined();
    expect(tookOver!.at - stoppedAt).toBeLessThan(5_000);
    // The others see it too, each once its own heartbeats have missed the stopped member for downAfterMs.
    await until(() => unity.live.every((i) => unity.server(i).roles()[victim]?.holder === 5), 5_000, 'every member to see the takeover');
    for (const i of unity.live) expect(unity.server(i).roles()[victim]).toMatchObject({ holder: 5, state: 'taken-over' });
    const stats = unity.live.map((i) => unity.server(i).stats());
    console.log(
      `manager unity: 10 transfers (submitted in ${submitMs} ms) final at height ${head.height} in ${firstMs} ms; 3 more without one manager at ` +
        `height ${after.height} in ${secondMs} ms (leader ${victim} stopped; standby took over in ${tookOver!.at - stoppedAt} ms); live managers skipped ${stats.map((s) => s.skipped).join(',')}, fetched ${stats.map((s) => s.fetched).join(',')}`,
    );
  }, 60_000);
});
