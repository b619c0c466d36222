/**
 * A manager's audit of a worker over real libp2p (the rig's client host plays the auditing manager): an honest
 * worker passes; one that dropped the blobs it was paid to keep fails its blob audits; one whose sealed log holds
 * entries without a receipt (an inflated log) or with a forged receipt is caught cheating; a peer that is not an
 * auditor learns nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { auditNode, type AuditDeps } from '../../../../node/manager/audit.ts';
import { createHost } from '../../../../node/net/index.ts';
import { startWorkerRig, type WorkerRig } from '../../../support/worker-rig.ts';
import { labelledBytes } from '../../../support/seeded.ts';

let rig: WorkerRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const BATCH = 4;

function deps(r: WorkerRig, label: string, rpc = r.clientHost.rpc): AuditDeps {
  return {
    rpc,
    random: labelledBytes(label),
    channel: (id) => r.channels.get(toHex(id)),
    samples: 3,
    timeoutMs: 5_000,
  };
}

const target = (r: WorkerRig) => ({ peer: r.worker.peer, node: r.workerKey.publicKey.bytes });

async function storeBlobs(r: WorkerRig, n: number, label: string): Promise<Uint8Array[]> {
  const addresses = [];
  for (let i = 0; i < n; i++) addresses.push((await r.client.store(sha256(utf8(`${label} ${i}`)))).address);
  return addresses;
}

describe('auditing a worker', () => {
  it('passes an honest worker: every sampled entry proven, its receipt valid, its blob held', async () => {
    const r = (rig = await startWorkerRig({ logBatchSize: BATCH }));
    await storeBlobs(r, BATCH, 'honest');
    expect(r.log.tail().sealedThrough).toBe(BATCH);
    const outcome = await auditNode(target(r), deps(r, 'honest audit'));
    expect(outcome).toMatchObject({ passed: 3, failed: 0, cheated: false });
    expect(r.node.audits.answered).toBeGreaterThanOrEqual(1 + 3 + 3);
  });

  it('fails a worker that dropped the blobs it was paid to keep, without calling it a cheat', async () => {
    const r = (rig = await startWorkerRig({ logBatchSize: BATCH }));
    const addresses = await storeBlobs(r, BATCH, 'dropped');
    for (const address of addresses) expect(r.node.blobs.delete(address)).toBe(true);
    const outcome = await auditNode(target(r), deps(r, 'dropped audit'));
    expect(outcome).toMatchObject({ passed: 0, failed: 3, cheated: false });
    expect(outcome.findings.join('\n')).toMatch(/blob/);
  });

  it('catches an inflated log: sealed entries that no receipt paid for', async () => {
    const r = (rig = await startWorkerRig({ logBatchSize: BATCH }));
    await Promise.all(
      Array.from({ length: BATCH }, (_, i) =>
        r.log.appendAsync({
          requestId: sha256(utf8(`fake ${i}`)).subarray(0, 16),
          client: utf8('nobody'),
          service: 'blob-get',
          bytes: 4096,
          computeUnits: 0,
          resultHash: sha256(utf8(`fake result ${i}`)),
          latencyMs: 1,
          receiptHash: sha256(utf8(`no such receipt ${i}`)),
        }),
      ),
    );
    const outcome = await auditNode(target(r), deps(r, 'inflated audit'));
    expect(outcome.cheated).toBe(true);
    expect(outcome.passed).toBe(0);
  });

  it('catches a forged receipt behind a logged entry', async () => {
    const r = (rig = await startWorkerRig({ logBatchSize: BATCH }));
    // A real receipt's authorisation, and a receipt whose signature was never made by the session key.
    await storeBlobs(r, 1, 'genuine');
    const genuine = r.book.latest(r.abc.id)!;
    const forged = Uint8Array.from(genuine.receipt);
    forged[forged.length - 1]! ^= 1;
    const hash = sha256(forged);
    r.node.archive.put(hash, forged, genuine.authorization, Date.now());
    await Promise.all(
      Array.from({ length: BATCH - 1 }, (_, i) =>
        r.log.appendAsync({
          requestId: hash.subarray(0, 16),
          client: utf8('forger'),
          service: 'blob-get',
          bytes: 4096 + i,
          computeUnits: 0,
          resultHash: sha256(utf8(`forged ${i}`)),
          latencyMs: 1,
          receiptHash: hash,
        }),
      ),
    );
    expect(r.log.tail().sealedThrough).toBe(BATCH);
    // Sample until a forged entry comes up (three of the four entries are).
    const outcome = await auditNode(target(r), { ...deps(r, 'forged audit'), samples: 6 });
    expect(outcome.cheated).toBe(true);
    expect(outcome.findings.join('\n')).toMatch(/receipt/);
  });

  it('catches a replayed receipt: two sealed entries paid by one receipt', async () => {
    const r = (rig = await startWorkerRig({ logBatchSize: 2 }));
    await storeBlobs(r, 3, 'replayed');
    // The receipt of the third (genuine) request, named again by a request that was never made.
    const hash = sha256(r.book.latest(r.abc.id)!.receipt);
    await r.log.appendAsync({
      requestId: hash.subarray(0, 16),
      client: utf8('replayer'),
      service: 'blob-get',
      bytes: 4096,
      computeUnits: 0,
      resultHash: sha256(utf8('replayed result')),
      latencyMs: 1,
      receiptHash: hash,
    });
    expect(r.log.tail().sealedThrough).toBe(4);
    // Distinct samples: both entries of the two-entry batch, each with a valid receipt on its own.
    const outcome = await auditNode(target(r), { ...deps(r, 'replayed audit'), samples: 2 });
    expect(outcome).toMatchObject({ passed: 1, cheated: true });
    expect(outcome.findings.join('\n')).toMatch(/replays the receipt of entry/);
    // An honest batch of the same shape passes.
    const h = await startWorkerRig({ logBatchSize: 2, label: 'honest pair ' });
    try {
      await storeBlobs(h, 4, 'honest pair');
      expect(await auditNode(target(h), { ...deps(h, 'replayed audit'), samples: 2 })).toMatchObject({ passed: 2, failed: 0, cheated: false });
    } finally {
      await h.stop();
    }
  });

  it('tells a peer that is not an auditor nothing', async () => {
    const r = (rig = await startWorkerRig({ logBatchSize: BATCH }));
    await storeBlobs(r, BATCH, 'private');
    const stranger = createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8('stranger'))) });
    await stranger.start();
    try {
      const outcome = await auditNode(target(r), deps(r, 'stranger audit', stranger.rpc));
      expect(outcome).toMatchObject({ passed: 0, failed: 1, cheated: false });
      expect(outcome.findings[0]).toMatch(/NOT_AUDITOR/);
      expect(r.node.audits.answered).toBe(0);
    } finally {
      await stranger.stop();
    }
  });
});
