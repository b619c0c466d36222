/**
 * The client flow of SPEC §7 on real libp2p: a client pays a manager the introduction fee and is introduced to
 * the Unity that owns its blob's address; an index server of that Unity offers the temporary worker attached to
 * it (it beats to the index servers), the client pays that worker to store and later to fetch the blob; the
 * worker's blob reaches the ring; the manager settles its fees and the ledger pays exactly what its receipts say. A key of a Unity without temporary workers is offered that Unity's servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { introduce } from '../../../../node/client/introductions.ts';
import { WorkerClient } from '../../../../node/client/worker-client.ts';
import { authorizeSession, Ed25519KeyPair, sha256, utf8 } from '../../../../node/crypto/index.ts';
import { channelId, demoParams, encodeTx, signAccountTx } from '../../../../node/ledger/index.ts';
import { Attacher } from '../../../../node/manager/attacher.ts';
import { submitTx } from '../../../../node/manager/index.ts';
import { systemClock } from '../../../../node/net/index.ts';
import { unityOfKey } from '../../../../node/ring/locate.ts';
import { type RingServerNode, startRingServerNode } from '../../../../node/ring/service/ring-host.ts';
import { buildBlob } from '../../../../node/services/blobs/index.ts';
import { ChannelSpender, MemorySpenderStore, Settler } from '../../../../node/worker/payments/index.ts';
import { startClientFlow } from '../../../../cli/commands/up-client-flow.ts';
import type { UpPayee } from '../../../../cli/commands/up-settle.ts';
import { BLOB_SCHEMES } from '../../../../node/worker/replication/part-store.ts';
import { ABC, accountKey, managerAccount, managerNode } from '../../../support/ledger-chain.ts';
import { netRing } from '../../../support/ring-net.ts';
import { type Cleanup, nodeKeyOf, temporaryWorld } from '../../../support/temporary-world.ts';
import { eventually } from '../../../support/wait.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cleanup: Cleanup = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('the client flow', () => {
  it('introduces a client to its key’s Unity, whose index server offers the temporary worker attached to it', async () => {
    const ring = await netRing({ unities: 2, serversPerUnity: 6, schemes: BLOB_SCHEMES });
    cleanup.push(() => ring.stop());
    // Promotion after one passed audit (no other rule), so the worker joins the ring as a server at the end.
    const params = { ...demoParams, promotionMinServed: 0n, promotionMinAudits: 1n, promotionMinScore: 0n, promotionUptimeBps: 0n };
    let ringServer: RingServerNode | undefined;
    const joinRing = async (u: string) => {
      ringServer = await startRingServerNode({
        nodeKey: nodeKeyOf('worker'),
        host: workerHost,
        keepHost: true,
        dataDir: join(worldDir(), 'ring-server'),
        authority: ring.authorityKey.publicKey.bytes,
        managers: () => [ring.authority.host.peer],
        join: true,
        unity: u,
        schemes: BLOB_SCHEMES,
      });
      return ringServer;
    };
    const world = await temporaryWorld(cleanup, params, { ring, heartbeatMs: 500, joinRing });
    const worldDir = () => world.dataDir;
    const { chain, unity, server, manager, view, duty, investors, workerHost, worker, key, auditor } = world;
    const map = ring.authority.authority.map();
    const client = unity.client!;

    // As `ame up` composes it: every ring server an index server of its Unity (a temporary worker leads every
    // blob offer here), the manager introducing for the introduction fee after a ring lookup.
    const dir = mkdtempSync(join(tmpdir(), 'ame-client-flow-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const composed = startClientFlow({
      lead: server,
      managers: [{ server, host: unity.host(0), key: managerNode(0), payout: managerAccount(0), dataDir: dir }],
      ring: ring.live(),
      certifiers: { authority: ring.authorityKey.publicKey.bytes },
      share: 1,
    });
    cleanup.push(() => composed.stop());
    const [desk] = composed.desks;
    const [{ book }] = composed.payees as [UpPayee];
    const channels = (id: Uint8Array) => view().channel(id);

    // The worker is attached to Unity 1 of the ring (the busier), and beats to its index servers.
    const attacher = new Attacher({ duty, clock: systemClock, loads: () => map.unities.map((u, i) => ({ unity: u.id, servers: 6, load: i === 1 ? 90 : 10 })) });
    await eventually('the attaching phase', () => (worker.status().phase === 'attaching' ? true : undefined));
    expect([...attacher.round().values()]).toEqual([map.unities[1]!.id]);
    await eventually('the attachment', () => (view().node(key)?.unity === map.unities[1]!.id ? true : undefined));
    await eventually('beats taken by the index servers', () => (worker.status().indexBeats >= 6 ? true : undefined));

    // The client: a Manager Ring channel paying the manager, and a channel paying the worker.
    const account = accountKey(50);
    await submitTx(client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: 1n, fee: 0n, body: { to: account.address, amount: 20n * ABC } }, investors)));
    await eventually('the client funds', () => (view().account(account.address).abc > 0n ? true : undefined));
    const session = Ed25519KeyPair.fromSeed(sha256(utf8('client flow session')));
    const authorization = authorizeSession(account, session.publicKey, Date.now() + 3_600_000);
    const open = async (nonce: bigint, payee: Uint8Array) => {
      const escrow = 5n * ABC;
      await submitTx(client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'channel-open', nonce, fee: 0n, body: { currency: 'ABC', amount: escrow, payees: [payee] } }, account)));
      const id = channelId(chain, account.address, nonce);
      await eventually('the channel', () => view().channel(id));
      return new ChannelSpender({ channel: { id, escrow, payees: [payee], currency: 'ABC' }, session, authorization, store: new MemorySpenderStore(), now: Date.now });
    };
    const fees = await open(0n, managerNode(0).publicKey.bytes);
    const pays = await open(1n, key);

    // A blob whose address Unity 1 owns: the index server leads its offer with the temporary worker.
    let data = utf8('blob 0');
    for (let i = 1; unityOfKey(map, buildBlob(data).address) !== 1; i++) data = utf8(`blob ${i}`);
    const address = buildBlob(data).address;
    const flow = { rpc: client.rpc, managers: [manager], spender: fees, fee: params.introductionFee };
    const introduced = await introduce(flow, address, 'blob');
    expect(introduced.unity).toBe(map.unities[1]!.id);
    expect(introduced.offer[0]!.id).toBe(workerHost.id);
    const api = new WorkerClient({ rpc: client.rpc, worker: introduced.offer[0]!, payee: key, abc: pays, prices: () => params });
    const stored = await eventually('the paid store', async () => api.store(data).catch(() => undefined));
    expect(stored.address).toEqual(address);
    const again = await introduce(flow, address, 'blob');
    const reader = new WorkerClient({ rpc: client.rpc, worker: again.offer[0]!, payee: key, abc: pays, prices: () => params });
    expect(await reader.fetch(address)).toEqual(data);
    expect(worker.status().served).toBe(2);
    await eventually('the blob on the ring', () => (worker.worker?.replicator?.status().pending === 0 && worker.worker.replicator.status().put > 0 ? true : undefined));

    // A key of Unity 0, which has no temporary worker: its servers are offered.
    let other = sha256(utf8('key 0'));
    for (let i = 1; unityOfKey(map, other) !== 0; i++) other = sha256(utf8(`key ${i}`));
    const elsewhere = await introduce(flow, other, 'blob');
    expect(map.unities[0]!.servers.map((s) => s.id)).toContain(elsewhere.offer[0]!.id);

    // The manager was paid three introduction fees, and settling them pays exactly that on the channel.
    expect(desk!.stats()).toMatchObject({ introduced: 3, earned: 3n * params.introductionFee });
    const before = view().account(managerAccount(0).address).abc;
    const settler = new Settler({
      book,
      self: managerNode(0).publicKey.bytes,
      payout: managerAccount(0),
      chain,
      channels,
      nonce: () => view().account(managerAccount(0).address).nonce,
      submit: async (tx) => server.submit(tx),
      policy: { threshold: 1n, maxAgeMs: 0, deadlineMarginMs: 0 },
      fee: 0n,
      now: Date.now,
    });
    expect((await settler.round()).submitted).toBe(1);
    await eventually('the settlement', () => (view().channel(fees.channel.id)?.paid[0] === 3n * params.introductionFee ? true : undefined));
    // (The account also earns block rewards meanwhile: the channel's record is the exact figure.)
    expect(view().account(managerAccount(0).address).abc - before).toBeGreaterThanOrEqual(3n * params.introductionFee);

    // Audited and promoted: the same process joins the ring as a server of Unity 1 and pulls its replicas — among
    // them parts of the blob it stored, which live in Unity 1 — and keeps serving.
    await worker.worker!.log.seal();
    expect((await auditor.round()).report?.nodes[0]).toMatchObject({ auditsPassed: 2n, cheated: false });
    await eventually('the audit on the ledger', () => (view().node(key)!.rep.auditsPassed > 0n ? true : undefined));
    expect((await worker.applyForPromotion()).ok).toBe(true);
    await eventually('the ring server', () => (worker.status().ringServer === 'serving' ? true : undefined), 20_000);
    expect(worker.status().phase).toBe('promoted');
    const joined = ring.authority.authority.map().unities.find((u) => u.id === map.unities[1]!.id)!;
    expect(joined.servers.map((s) => s.id)).toContain(workerHost.id);
    await eventually('replicas pulled', () => (ringServer!.store.size() > 0 ? true : undefined), 20_000);
    expect(await reader.fetch(address)).toEqual(data);
  });
});
