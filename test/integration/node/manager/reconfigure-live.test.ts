/**
 * A reconfigure in a normal block on a running Unity (what `ame fleet rack provision --join` submits): the block
 * holding it ends the era that decided it, and its ledger certificate — by the set before it, the ledger's rule —
 * is gathered by the next era (the certifier's handover). Without it the block never got a certificate: the next
 * block had no parent certificate to carry and a server joining by state sync could not verify the block. Six
 * libp2p hosts on 127.0.0.1, SQLite files; a seventh manager joins by the governance keys and state sync.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { decodeBlock, encodeTx, genesisId, signGovernanceTx } from '../../../../node/ledger/index.ts';
import { submitTx } from '../../../../node/manager/index.ts';
import { governanceKey, managerAccount, nodeKey } from '../../../support/ledger-chain.ts';
import { TestUnity } from '../../../support/manager-unity.ts';
import { until } from '../../../support/ring-net.ts';

const running: TestUnity[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
});

describe('Manager Ring: a reconfigure in a normal block', () => {
  it('gets its certificate from the set before it; a new member syncs and the larger Unity finalises', async () => {
    const unity = await TestUnity.start();
    running.push(unity);
    const first = unity.transfers(4);
    for (const t of first) await submitTx(unity.client.rpc, unity.host(0).peer, t.bytes);
    await unity.settle(first, 'the six to finalise the first transfers');

    await unity.addMember(6);
    const view = unity.server(0).ledger.finalView();
    const before = view.managers().keys;
    const managers = [...before.map((key, i) => ({ key, account: managerAccount(i).address })), { key: nodeKey(106).publicKey.bytes, account: managerAccount(6).address }];
    const reconfigure = signGovernanceTx({ chain: genesisId(unity.genesis), kind: 'reconfigure', nonce: view.chain().govNonce, body: { managers } }, [
      { index: 0, key: governanceKey(0) },
      { index: 1, key: governanceKey(1) },
    ]);
    await submitTx(unity.client.rpc, unity.host(2).peer, encodeTx(reconfigure));
    const six = [0, 1, 2, 3, 4, 5];
    await until(() => six.every((k) => unity.server(k).ledger.finalView().managers().keys.length === 7), 30_000, 'the six to apply the reconfigure');
    const height = unity.server(0).ledger.finalView().previousManagers()!.height;

    // Its certificate: a quorum of the set before (5 of 6), only those keys, at every one of the six.
    await until(() => six.every((k) => (unity.server(k).chain.block(height)?.certificate.length ?? 0) >= 5), 20_000, 'the reconfigure block to be certified');
    const old = new Set(before.map(toHex));
    for (const k of six) {
      const certificate = unity.server(k).chain.block(height)!.certificate;
      expect(certificate.every((e) => old.has(toHex(e.member))), `manager ${k}: signed by the set before`).toBe(true);
    }

    // The new member copies the state (verified by that certificate) and the Unity of seven finalises.
    const joined = await unity.startServer(6, { sync: true });
    expect(joined.head().height).toBeGreaterThanOrEqual(height);
    const second = unity.transfers(4);
    for (const [i, t] of second.entries()) await submitTx(unity.client.rpc, unity.host([6, 3][i % 2]!).peer, t.bytes);
    const after = await unity.settle([...first, ...second], 'the seven to finalise', [0, 1, 2, 3, 4, 5, 6], 60_000);
    expect(after.height).toBeGreaterThan(height);
    // The block after the reconfigure carries its certificate as parent certificate.
    const next = decodeBlock(unity.server(6).chain.block(height + 1n)!.bytes);
    expect(next.header.height).toBe(height + 1n);
    expect(next.parentCertificate.length).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
