import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../../../node/crypto/index.ts';
import { unityOfKey } from '../../../../../node/ring/locate.ts';
import { contentKey } from '../../../../../node/ring/records.ts';
import { replicaSet } from '../../../../../node/ring/replicas.ts';
import { MemoryReplicaStore } from '../../../../../node/ring/service/replica-store.ts';
import { Router } from '../../../../../node/ring/service/router.ts';
import { RingClient } from '../../../../../node/ring/service/client.ts';
import { encodeRingValue } from '../../../../../node/ring/service/value.ts';
import { NetError } from '../../../../../node/net/errors.ts';
import { bodies, encodeBody, METHOD } from '../../../../../node/ring/service/protocol.ts';
import { simRing, type SimRing } from '../../../../support/ring-sim.ts';

let ring: SimRing | undefined;
afterEach(async () => {
  await ring?.stop();
  ring = undefined;
});

function values(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => {
    const data = new TextEncoder().encode(`${tag} ${i}`);
    return { key: contentKey(data), bytes: encodeRingValue({ kind: 'content', data }) };
  });
}

async function putAll(r: SimRing, items: ReturnType<typeof values>) {
  for (const [i, item] of items.entries()) await r.drive(r.servers[i % r.servers.length]!.put(item.key, item.bytes));
}

async function expectReadable(r: SimRing, items: ReturnType<typeof values>, from = r.servers) {
  for (const [i, item] of items.entries()) {
    const server = from[(i * 7) % from.length]!;
    const got = await r.drive(server.get(item.key));
    expect(got.result, `value ${i}`).toEqual(item.bytes);
    expect(got.located.hops).toBeLessThanOrEqual(2);
  }
}

describe('Worker Ring changes on the simulator', () => {
  it('a restarted server with an empty store pulls its Unity’s pairs from its siblings', async () => {
    ring = await simRing({ unities: 3, serversPerUnity: 6 });
    const victim = 4;
    const peer = ring.peers[victim]!;
    await ring.servers[victim]!.stop();
    peer.kill();
    const items = values(60, 'while away');
    await putAll({ ...ring, servers: ring.servers.filter((_, i) => i !== victim) }, items);
    peer.restart();
    const store = new MemoryReplicaStore();
    await ring.addServer(peer.self.id, { peer, store });
    const map = ring.authority.map();
    const mine = items.filter((item) =>
      replicaSet(map.unities[unityOfKey(map, item.key)]!, item.key, 5).some((s) => s.id === peer.self.id),
    );
    expect(mine.length).toBeGreaterThan(5);
    for (const item of mine) expect(store.get(item.key)).toEqual(item.bytes);
  });

  it('a Unity at the server limit splits, data moves, and every key is found in ≤ 2 hops at the new epoch', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6, params: { serverLimit: 7 } });
    const items = values(80, 'before split');
    await putAll(ring, items);
    const before = ring.authority.map();
    const oldView = ring.servers[0]!.view()!;
    await ring.addServer('joiner', { join: true });
    const after = ring.authority.map();
    expect(after.unities.length).toBe(10);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    // Every server's view reached the new epoch.
    await ring.drive(waitFor(() => ring!.servers.every((s) => s.view()?.epoch === after.epoch)));
    await expectReadable(ring, items);

    // A client still routing by the old epoch is redirected with the fresh, certified view and succeeds.
    const moved = items.find((item) => unityOfKey(after, item.key) !== unityOfKey(before, item.key) ||
      after.unities[unityOfKey(after, item.key)]!.id !== before.unities[unityOfKey(before, item.key)]!.id)!;
    expect(moved).toBeDefined();
    const clientPeer = ring.net.addPeer({ id: 'client', addrs: [] });
    const router = new Router({ rpc: clientPeer, authority: ring.authorityKey.publicKey.bytes, view: () => oldView });
    const client = new RingClient({ rpc: clientPeer, router, timeoutMs: 5_000 });
    const got = await ring.drive(client.get(moved.key));
    expect(got.result).toEqual(moved.bytes);
    expect(got.redirects).toBeGreaterThanOrEqual(1);
  });

  it('servers killed below the replica count: marked down within 60 s, the Unity borrows, then merges; values stay readable', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6 });
    const items = values(60, 'durable');
    await putAll(ring, items);
    const map = ring.authority.map();
    const unity = map.unities[4]!;
    const killedAt = ring.net.clock.now();
    const killed = unity.servers.slice(0, 2).map((s) => s.id);
    for (const id of killed) {
      const i = ring.peers.findIndex((p) => p.self.id === id);
      await ring.servers[i]!.stop();
      ring.peers[i]!.kill();
    }
    const live = ring.servers.filter((_, i) => !killed.includes(ring!.peers[i]!.self.id));
    await ring.drive(waitFor(() => ring!.authority.map().unities.every((u) => !u.servers.some((s) => killed.includes(s.id)))));
    expect(ring.net.clock.now() - killedAt).toBeLessThanOrEqual(60_000);
    const borrowed = ring.authority.map().unities.find((u) => u.id === unity.id);
    expect(borrowed?.guests.length).toBeGreaterThanOrEqual(1);
    await expectReadable(ring, items, live);
    await ring.drive(waitFor(() => ring!.authority.map().unities.length === 8), 60_000);
    await ring.drive(waitFor(() => live.every((s) => s.view()?.epoch === ring!.authority.map().epoch)));
    await expectReadable(ring, items, live);
  });

  it('a fresh server that knows only the managers joins, gets a Unity and serves', async () => {
    ring = await simRing({ unities: 4, serversPerUnity: 6 });
    const items = values(20, 'old');
    await putAll(ring, items);
    const fresh = await ring.addServer('fresh', { join: true });
    expect(fresh.view()).toBeDefined();
    expect(ring.authority.map().unities.some((u) => u.servers.some((s) => s.id === 'fresh'))).toBe(true);
    await expectReadable(ring, items, [fresh]);
    const key = sha256(new TextEncoder().encode('anything'));
    expect((await ring.drive(fresh.locate(key))).hops).toBeLessThanOrEqual(2);
  });
});

/** Resolves once `check` holds, polling on the virtual clock's turns. */
describe('joining a named Unity', () => {
  it('a promoted worker joins the Unity it names; the authority refuses one admitJoin rejects, changing nothing', async () => {
    const admitted = new Set(['promoted']);
    ring = await simRing({ unities: 3, serversPerUnity: 6, admitJoin: (peer) => admitted.has(peer) });
    const named = ring.authority.map().unities[2]!.id;
    const epoch = ring.authority.map().epoch;
    const stranger = ring.net.addPeer({ id: 'stranger', addrs: [] });
    const body = encodeBody(bodies.join, { addrs: [], unity: named });
    const refused = await ring.drive(stranger.request(ring.authorityPeer.self, METHOD.join, body).then(() => undefined, (e: unknown) => e));
    expect(refused).toBeInstanceOf(NetError);
    expect((refused as NetError).code).toBe('UNAUTHORIZED');
    expect(ring.authority.map().epoch).toBe(epoch);
    expect(ring.authority.map().unities.some((u) => u.servers.some((s) => s.id === 'stranger'))).toBe(false);
    // Unity 2 is not the smallest (all have 6, the lowest index wins a tie): it is there because it was named.
    await ring.addServer('promoted', { join: true, unity: named });
    const map = ring.authority.map();
    expect(map.unities.find((u) => u.id === named)!.servers.map((s) => s.id)).toContain('promoted');
    expect(map.unities[0]!.servers.map((s) => s.id)).not.toContain('promoted');
  });
});

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setImmediate(poll));
    poll();
  });
}
