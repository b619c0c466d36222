/**
 * Done-when 3 of the Manager Ring issue, the parts after "finalises blocks": a wiped server rejoins by state sync
 * and agrees on the next block; with three of six servers stopped no block is final; the recovery procedure
 * (a reconfiguration signed by the genesis recovery keys, delivered to the survivors) lets the Unity — the three
 * survivors and three replacements that join by state sync — finalise again from its last final block with
 * nothing lost. Six libp2p hosts on 127.0.0.1, SQLite files, real Ed25519 and ECVRF.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { encodeTx, genesisId, signGovernanceTx } from '../../../../node/ledger/index.ts';
import { buildRecoveryBlock, getHead, sendRecovery, submitTx } from '../../../../node/manager/index.ts';
import { governanceKey, managerAccount, nodeKey } from '../../../support/ledger-chain.ts';
import { TestUnity, type Transfer } from '../../../support/manager-unity.ts';
import { until } from '../../../support/ring-net.ts';

const running: TestUnity[] = [];
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') {
    for (const u of running) for (const l of u.logs.filter((x) => x.level !== 'info')) console.log(l.member, l.level, l.msg, JSON.stringify(l.fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 400));
  }
  await Promise.all(running.splice(0).map((u) => u.stop()));
});

async function submitAll(unity: TestUnity, sent: readonly Transfer[], to: readonly number[]): Promise<void> {
  for (const [i, t] of sent.entries()) await submitTx(unity.client.rpc, unity.host(to[i % to.length]!).peer, t.bytes);
}

describe('Manager Ring: state sync and recovery over libp2p', () => {
  it('a wiped server rejoins by state sync; with three of six gone nothing is final until the recovery keys reconfigure the Unity', async () => {
    const unity = await TestUnity.start();
    running.push(unity);
    const first = unity.transfers(6);
    await submitAll(unity, first, [0, 1, 2, 3, 4, 5]);
    const before = await unity.settle(first, 'six managers to apply the first transfers');

    // Server 3 loses its data and comes back on the same key: it copies a member's state, then follows.
    const t0 = Date.now();
    const wiped = await unity.wipeAndRestart(3);
    expect(wiped.head().height, 'synced to a certified state').toBeGreaterThanOrEqual(before.height);
    expect(unity.logs.some((l) => l.member === 3 && l.msg === 'state synced from a member')).toBe(true);
    // It may have voted in the rounds the others are in: it follows them without signing (no equivocation).
    const silent = unity.logs.find((l) => l.member === 3 && l.msg === 'consensus rounds this node will not sign in');
    expect(Number(silent?.fields['silentThrough'])).toBeGreaterThan(0);
    const second = unity.transfers(3);
    await submitAll(unity, second, [0, 1, 2]);
    const after = await unity.settle([...first, ...second], 'the wiped server to agree on the next block', [0, 1, 2, 3, 4, 5]);
    expect(after.height).toBeGreaterThan(before.height);
    // Its chain store holds the whole history, every block with its certificate (or gathering it).
    expect(wiped.chain.head().height).toBe(after.height);
    expect(wiped.chain.block(1n)?.certificate.length).toBeGreaterThanOrEqual(5);
    const syncMs = Date.now() - t0;

    // Three of six stop: no quorum (5 of 6) remains, nothing is final.
    for (const k of [0, 1, 2]) await unity.stopMember(k);
    const stuck = unity.transfers(1);
    await submitTx(unity.client.rpc, unity.host(3).peer, stuck[0]!.bytes);
    const frozen = unity.server(3).head();
    await new Promise((r) => setTimeout(r, 5_000));
    for (const k of [3, 4, 5]) {
      expect(unity.server(k).head().height, `manager ${k} finalised nothing without a quorum`).toBe(frozen.height);
      expect(unity.applied(k, stuck)).toBe(false);
    }

    // Recovery: three replacements come up; the recovery keys (2 of 3) sign a reconfigure to survivors + them.
    for (const k of [6, 7, 8]) await unity.addMember(k);
    const survivor = unity.server(3);
    const view = survivor.ledger.finalView();
    const keep = view.managers().keys.slice(3);
    const managers = [
      ...keep.map((key, i) => ({ key, account: managerAccount(3 + i).address })),
      ...[6, 7, 8].map((k) => ({ key: nodeKey(100 + k).publicKey.bytes, account: managerAccount(k).address })),
    ];
    const reconfigure = signGovernanceTx(
      { chain: genesisId(unity.genesis), kind: 'reconfigure', nonce: view.chain().govNonce, body: { managers } },
      [
        { index: 0, key: governanceKey(0) },
        { index: 2, key: governanceKey(2) },
      ],
    );
    const recovery = buildRecoveryBlock(
      survivor.ledger,
      [encodeTx(reconfigure)],
      nodeKey(103).publicKey.bytes,
      view.chain().lastTime + 1n,
      [governanceKey(0), governanceKey(2)],
    );
    // A block certified by too few recovery keys is refused, typed.
    const weak = { ...recovery, certificate: recovery.certificate.slice(0, 1) };
    const refused = await sendRecovery(unity.client.rpc, unity.host(4).peer, weak).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'REJECTED', reason: 'BAD_CERTIFICATE' });
    for (const k of [3, 4, 5]) await sendRecovery(unity.client.rpc, unity.host(k).peer, recovery);
    for (const k of [3, 4, 5]) expect(unity.server(k).head().height).toBe(frozen.height + 1n);
    for (const k of [6, 7, 8]) await unity.startServer(k, { sync: true });

    // The new Unity finalises again from the recovery block: the stuck transfer and new ones, nothing lost.
    const third = unity.transfers(3);
    await submitAll(unity, third, [3, 6, 8]);
    const members = [3, 4, 5, 6, 7, 8];
    const recovered = await unity.settle([...first, ...second, ...stuck, ...third], 'the recovered Unity to finalise', members, 60_000);
    expect(recovered.height).toBeGreaterThan(frozen.height + 1n);
    for (const k of members) {
      expect(unity.server(k).ledger.finalView().managers().keys.map(toHex)).toEqual(managers.map((m) => toHex(m.key)));
      expect(unity.server(k).stats().eras, `manager ${k} runs the new era`).toBeGreaterThanOrEqual(1);
    }
    await until(() => unity.server(8).roles().length === 6, 5_000, 'the new Unity to have its six roles');
    const head = await getHead(unity.client.rpc, unity.host(7).peer);
    expect(head.height).toBe(recovered.height);
    console.log(
      `manager recovery: state sync + next block in ${syncMs} ms; frozen at ${frozen.height} with 3 of 6 stopped; ` +
        `recovered to height ${recovered.height} with members 3–8`,
    );
  }, 180_000);
});
