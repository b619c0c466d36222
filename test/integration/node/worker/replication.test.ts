/**
 * Blobs on the Worker Ring (SPEC §6: stored on the Unity's servers and its temporary workers), over real libp2p on
 * loopback with SQLite stores: what a client stores on one worker is copied to the ring's replicas, another worker
 * serves it from there (and keeps it), the worker that stored it hands it over and leaves with its data deleted,
 * and after a Unity splits every blob is still fetchable through a worker that never held it.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compareKeys, midpoint } from '../../../../node/ring/index.ts';
import { unityOfKey } from '../../../../node/ring/locate.ts';
import { buildBlob, chunkCount, DEFAULT_CHUNK_SIZE, manifestPartKey } from '../../../../node/services/blobs/index.ts';
import { BLOB_SCHEMES } from '../../../../node/worker/replication/part-store.ts';
import { ringEntry } from '../../../../node/worker/ring-entry.ts';
import { netRing, type NetRing, until } from '../../../support/ring-net.ts';
import { startWorkerRig, type WorkerRig } from '../../../support/worker-rig.ts';
import { labelledBytes } from '../../../support/seeded.ts';

let ring: NetRing | undefined;
const rigs: WorkerRig[] = [];
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.stop()));
  await ring?.stop();
  ring = undefined;
});

const bytes = (n: number, label: string): Uint8Array => labelledBytes(label)(n);

async function worker(r: NetRing, label: string): Promise<WorkerRig> {
  const entry = r.live().slice(0, 2).map((n) => n.host.peer);
  const rig = await startWorkerRig({ label, ring: (rpc) => ringEntry({ rpc, entry, authority: r.authorityKey.publicKey.bytes }).parts });
  rigs.push(rig);
  return rig;
}

describe('blob replication on the Worker Ring', () => {
  it('a blob stored on one worker is served by others from the ring, after its holder left and after a split', async () => {
    const r = (ring = await netRing({ unities: 2, serversPerUnity: 6, params: { serverLimit: 7, downAfterMs: 120_000 }, schemes: BLOB_SCHEMES }));
    const before = r.authority.authority.map();
    // Some blobs in the upper half of Unity 0, the half a split moves to a new Unity.
    const mid = midpoint(before.unities[0]!.start, before.unities[1]!.start);
    const blobs: Uint8Array[] = [];
    let moving = 0;
    for (let i = 0; blobs.length < 5 || moving < 2; i++) {
      const data = bytes(1 + ((i * 97_003) % (3 * DEFAULT_CHUNK_SIZE)), `blob ${i}`);
      const { address } = buildBlob(data);
      const upper = unityOfKey(before, address) === 0 && compareKeys(address, mid) >= 0;
      if (!upper && blobs.length - moving >= 3) continue;
      if (upper) moving += 1;
      blobs.push(data);
    }

    const holder = await worker(r, 'holder ');
    const stored = [];
    for (const data of blobs) stored.push({ data, address: (await holder.client.store(data)).address });
    const replicator = holder.node.replicator!;
    await replicator.idle();
    const parts = blobs.reduce((n, d) => n + 1 + chunkCount(d.length, DEFAULT_CHUNK_SIZE), 0);
    expect(replicator.status()).toMatchObject({ pending: 0, put: parts });

    const reader = await worker(r, 'reader ');
    for (const { data, address } of stored) expect(await reader.client.fetch(address, data.length)).toEqual(data);
    expect(reader.node.replicator!.status().fetched).toBe(2 * parts - 2 * blobs.length);
    // The reader keeps what it fetched: it serves the blob from its own store from now on.
    for (const { address } of stored) expect(reader.node.blobs.missingChunks(address)).toEqual([]);

    // The holder leaves: it hands its data over (every part put again) and its store is deleted.
    await replicator.handOver();
    expect(replicator.status().put).toBe(2 * parts);
    await holder.stop();
    rigs.splice(rigs.indexOf(holder), 1);
    rmSync(holder.dir, { recursive: true, force: true });

    // A server joins Unity 0 (the fewest servers, lowest index): at the limit of 7 it splits.
    await r.addServer(1);
    const after = r.authority.authority.map();
    expect(after.unities.length).toBe(3);
    await until(() => r.live().every((n) => n.server.view()?.epoch === after.epoch), 15_000, 'every server at the split epoch');
    const moved = stored.filter(({ address }) => after.unities[unityOfKey(after, manifestPartKey(address))]!.id !== before.unities[0]!.id && unityOfKey(before, address) === 0);
    expect(moved.length).toBeGreaterThanOrEqual(2);

    const fresh = await worker(r, 'fresh ');
    for (const { data, address } of stored) expect(await fresh.client.fetch(address, data.length)).toEqual(data);
  });
});
