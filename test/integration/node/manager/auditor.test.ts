/**
 * The audit duty end to end on a real ledger (TestChain) and a real worker over libp2p: a manager's auditor audits
 * the registered worker, submits a node-report signed by its node key, and once that report is in a block the
 * worker's reputation counters hold what the audit found — passed audits for an honest worker, a failed audit and
 * the bad record for one whose log is inflated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { Auditor } from '../../../../node/manager/auditor.ts';
import { DutyTxs } from '../../../../node/manager/duty-txs.ts';
import { systemClock } from '../../../../node/net/index.ts';
import { accountKey, managerNode, TestChain } from '../../../support/ledger-chain.ts';
import { startWorkerRig, type WorkerRig } from '../../../support/worker-rig.ts';
import { labelledBytes } from '../../../support/seeded.ts';

let rig: WorkerRig | undefined;
let chain: TestChain | undefined;
afterEach(async () => {
  await rig?.stop();
  chain?.close();
  rig = undefined;
  chain = undefined;
});

async function world(label: string) {
  const r = (rig = await startWorkerRig({ logBatchSize: 4 }));
  const c = (chain = new TestChain());
  const payout = accountKey(30);
  c.block([c.accountTx(payout, 'register', { node: r.workerKey.publicKey.bytes, role: 'temporary', hardware: 'pi5' }, 0n, r.workerKey)]);
  const pool: Uint8Array[] = [];
  const auditor = new Auditor({
    rpc: r.clientHost.rpc,
    random: labelledBytes(label),
    clock: systemClock,
    duty: new DutyTxs({ nodeKey: managerNode(0), ledger: () => c.ledger, submit: (tx) => pool.push(tx), now: Date.now }),
    peerOf: (node) => (toHex(node) === toHex(r.workerKey.publicKey.bytes) ? r.worker.peer : undefined),
    samples: 3,
    // The rig's channels are the test's (not on this chain): receipts are checked against those.
    channel: (id) => r.channels.get(toHex(id)),
  });
  const rep = () => c.ledger.finalView().node(r.workerKey.publicKey.bytes)!.rep;
  return { r, c, auditor, pool, rep };
}

describe('the audit duty', () => {
  it("puts an honest worker's passed audits on the ledger", async () => {
    const w = await world('honest');
    for (let i = 0; i < 4; i++) await w.r.client.store(sha256(utf8(`auditor ${i}`)));
    const round = await w.auditor.round();
    expect(round.report?.nodes).toMatchObject([{ auditsPassed: 3n, auditsFailed: 0n, cheated: false }]);
    expect(w.pool).toHaveLength(1);
    expect(w.c.block(w.pool.splice(0)).result.outcomes).toMatchObject([{ ok: true }]);
    expect(w.rep()).toMatchObject({ auditsPassed: 3n, auditsFailed: 0n, bad: false });
  });

  it('gives a worker with an inflated log a failed audit and a bad record', async () => {
    const w = await world('inflated');
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        w.r.log.appendAsync({
          requestId: sha256(utf8(`inflated ${i}`)).subarray(0, 16),
          client: utf8('nobody'),
          service: 'blob-get',
          bytes: 4096,
          computeUnits: 0,
          resultHash: sha256(utf8(`inflated result ${i}`)),
          latencyMs: 1,
          receiptHash: sha256(utf8(`unpaid ${i}`)),
        }),
      ),
    );
    const round = await w.auditor.round();
    expect(round.report?.nodes).toMatchObject([{ cheated: true }]);
    expect(w.c.block(w.pool.splice(0)).result.outcomes).toMatchObject([{ ok: true }]);
    expect(w.rep()).toMatchObject({ bad: true, auditsPassed: 0n });
    expect(w.rep().auditsFailed).toBeGreaterThanOrEqual(1n);
  });
});
