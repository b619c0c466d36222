/**
 * The Worker Ring on real libp2p over loopback: 9 Unities of 6 servers (54 hosts) plus the ring authority, each
 * server with its replicas in SQLite on disk. Heartbeats every second and 6 s of silence to be marked down keep
 * the liveness scenario short; every other parameter is the default.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ecdsaAccountKey, Ed25519KeyPair, sha256, utf8 } from '../../../../../node/crypto/index.ts';
import { signBootstrapList, verifyBootstrapList } from '../../../../../node/ring/bootstrap.ts';
import { unityOfKey } from '../../../../../node/ring/locate.ts';
import { route } from '../../../../../node/ring/groups.ts';
import { compareKeys, midpoint } from '../../../../../node/ring/keyspace.ts';
import { contentKey, ownedKey, signOwnedRecord } from '../../../../../node/ring/records.ts';
import { replicaSet } from '../../../../../node/ring/replicas.ts';
import { RingClient } from '../../../../../node/ring/service/client.ts';
import { bodies, decodeBody, encodeBody, METHOD } from '../../../../../node/ring/service/protocol.ts';
import { Router } from '../../../../../node/ring/service/router.ts';
import { encodeRingValue } from '../../../../../node/ring/service/value.ts';
import { encodeSignedView, signView, viewOf } from '../../../../../node/ring/service/view.ts';
import { startHost } from '../../../../../node/ring/service/ring-host.ts';
import { netRing, until, type NetRing } from '../../../../support/ring-net.ts';

let ring: NetRing | undefined;
afterEach(async () => {
  await ring?.stop();
  ring = undefined;
});

const codeOf = (error: unknown) => (error as { code?: string }).code;

function values(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => {
    const data = utf8(`${tag} ${i}`);
    return { key: contentKey(data), bytes: encodeRingValue({ kind: 'content', data }) };
  });
}

async function putAll(r: NetRing, items: ReturnType<typeof values>) {
  const live = r.live();
  await Promise.all(items.map((item, i) => live[i % live.length]!.server.put(item.key, item.bytes)));
}

async function expectReadable(r: NetRing, items: ReturnType<typeof values>) {
  const live = r.live();
  for (const [i, item] of items.entries()) {
    const got = await live[(i * 7) % live.length]!.server.get(item.key);
    expect(got.result, `value ${i}`).toEqual(item.bytes);
    expect(got.located.hops).toBeLessThanOrEqual(2);
  }
}

const ringOf = (options: Parameters<typeof netRing>[0] = { unities: 9, serversPerUnity: 6 }) => netRing(options);

describe('Worker Ring on libp2p (9 Unities × 6 servers)', () => {
  it('finds every key from every server in ≤ 2 hops, keeps values through the loss of 2 replicas, and guards records and maps', async () => {
    ring = await ringOf();
    const map = ring.authority.authority.map();
    for (let k = 0; k < 8; k++) {
      const key = sha256(utf8(`lookup ${k}`));
      const live = ring.live();
      const located = await Promise.all(live.map((n) => n.server.locate(key)));
      located.forEach((l, i) => {
        expect(l.index).toBe(unityOfKey(map, key));
        expect(l.hops).toBe(route(live[i]!.server.view()!.slice.index, l.index, map.unities.length).length);
        expect(l.hops).toBeLessThanOrEqual(2);
      });
    }

    const items = values(30, 'survivor');
    await putAll(ring, items);
    const target = items[0]!;
    const replicas = replicaSet(map.unities[unityOfKey(map, target.key)]!, target.key, 5);
    for (const dead of replicas.slice(0, 2)) await ring.stopServer(ring.nodes.findIndex((n) => n?.host.id === dead.id));
    expect((await ring.live()[0]!.server.get(target.key)).result).toEqual(target.bytes);

    const owner = ecdsaAccountKey(randomBytes(32));
    const key = ownedKey(owner.address, 'name');
    const v = (seq: number) =>
      encodeRingValue({ kind: 'owned', record: signOwnedRecord(owner, { name: 'name', seq, payload: utf8(`v${seq}`) }) });
    const [a, b, c] = ring.live();
    await a!.server.put(key, v(5));
    expect(codeOf(await b!.server.put(key, v(4)).catch((e: unknown) => e))).toBe('STALE_RECORD');
    await c!.server.put(key, v(6));
    expect((await a!.server.get(key)).result).toEqual(v(6));
    const thief = ecdsaAccountKey(randomBytes(32));
    const forged = signOwnedRecord(thief, { name: 'name', seq: 99, payload: utf8('mine') });
    const claimed = encodeRingValue({ kind: 'owned', record: { ...forged, owner: owner.address } });
    expect(codeOf(await b!.server.put(key, claimed).catch((e: unknown) => e))).toMatch(/BAD_OWNER|BAD_SIGNATURE/);

    // A map update signed by anyone but the ring authority is refused, even from the authority's own host.
    const forger = Ed25519KeyPair.generate();
    const forgedView = signView(viewOf({ ...map, epoch: map.epoch + 10n }, 0), forger);
    const server0 = map.unities[0]!.servers.find((s) => ring!.live().some((n) => n.host.id === s.id))!;
    const error = await ring.authority.host.rpc
      .request(server0, METHOD.view, encodeBody(bodies.views, { views: [encodeSignedView(forgedView)] }))
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('WRONG_KEY');
    // … and a push from a host that is not a manager is refused whatever it carries.
    const stranger = await startHost(Ed25519KeyPair.generate(), ['/ip4/127.0.0.1/tcp/0']);
    const good = signView(viewOf({ ...map, epoch: map.epoch + 10n }, 0), ring.authorityKey);
    const refused = await stranger.rpc
      .request(server0, METHOD.view, encodeBody(bodies.views, { views: [encodeSignedView(good)] }))
      .catch((e: unknown) => e);
    await stranger.stop();
    expect(codeOf(refused)).toBe('UNAUTHORIZED');
  });

  it('a restarted server resyncs its Unity’s pairs; a split moves data; a stale-epoch request is redirected', async () => {
    // A long silence before "down", so the stopped server stays in its Unity while it is away (liveness has its
    // own test below).
    ring = await ringOf({ unities: 9, serversPerUnity: 6, params: { serverLimit: 7, downAfterMs: 120_000 } });
    const away = ring.nodes[3]!.host.id;
    const start = ring.authority.authority.map();
    const whileAway = values(400, 'while away')
      .filter((item) => replicaSet(start.unities[unityOfKey(start, item.key)]!, item.key, 5).some((s) => s.id === away))
      .slice(0, 8);
    expect(whileAway.length).toBe(8);
    await ring.stopServer(3);
    await putAll(ring, whileAway);
    const back = await ring.restartServer(3);
    // Its own copies, asked of it alone (a coordinated read would succeed from the siblings anyway).
    for (const item of whileAway) {
      const reply = await ring.live()[0]!.host.rpc.request(
        back.host.peer,
        METHOD.replicaGet,
        encodeBody(bodies.keyRequest, { epoch: 0n, key: item.key }),
      );
      expect(decodeBody(bodies.valueReply, reply, METHOD.replicaGet).value).toEqual(item.bytes);
    }

    const oldView = ring.live()[10]!.server.view()!;
    const before = ring.authority.authority.map();
    // Unity 0 is the one the newcomer joins (fewest servers, lowest index) and then splits: values in the upper
    // half of its range are the ones that move.
    const mid = midpoint(before.unities[0]!.start, before.unities[1]!.start);
    const upper = values(600, 'upper half')
      .filter((item) => unityOfKey(before, item.key) === 0 && compareKeys(item.key, mid) >= 0)
      .slice(0, 6);
    expect(upper.length).toBe(6);
    await putAll(ring, upper);
    await ring.addServer(1);
    const after = ring.authority.authority.map();
    expect(after.unities.length).toBe(10);
    await until(() => ring!.live().every((n) => n.server.view()?.epoch === after.epoch), 10_000, 'every server at the new epoch');
    await expectReadable(ring, [...whileAway, ...upper]);

    const moved = upper[0]!;
    expect(after.unities[unityOfKey(after, moved.key)]!.id).not.toBe(before.unities[0]!.id);
    const stale = new Router({ rpc: ring.live()[10]!.host.rpc, authority: ring.authorityKey.publicKey.bytes, view: () => oldView });
    const redirected = await new RingClient({ rpc: ring.live()[10]!.host.rpc, router: stale, timeoutMs: 5_000 }).get(moved.key);
    expect(redirected.result).toEqual(moved.bytes);
    expect(redirected.redirects).toBeGreaterThanOrEqual(1);
  });

  it('servers killed below the replica count: down within 60 s, the Unity borrows then merges, values stay readable', async () => {
    ring = await ringOf({ unities: 9, serversPerUnity: 6, mergeAfterMs: 3_000 });
    const items = values(40, 'kept');
    await putAll(ring, items);
    const map = ring.authority.authority.map();
    const unity = map.unities[4]!;
    const victims = unity.servers.slice(0, 2).map((s) => ring!.nodes.findIndex((n) => n?.host.id === s.id));
    for (const i of victims) await ring.stopServer(i);
    const gone = new Set(unity.servers.slice(0, 2).map((s) => s.id));
    const downAfter = await until(
      () => ring!.authority.authority.map().unities.every((u) => !u.servers.some((s) => gone.has(s.id))),
      60_000,
      'the killed servers marked down',
    );
    expect(downAfter).toBeLessThan(60_000);
    expect(ring.authority.authority.map().unities.find((u) => u.id === unity.id)?.guests.length).toBeGreaterThanOrEqual(1);
    await expectReadable(ring, items);
    await until(() => ring!.authority.authority.map().unities.length === 8, 30_000, 'the small Unity merged');
    const epoch = ring.authority.authority.map().epoch;
    await until(() => ring!.live().every((n) => n.server.view()?.epoch === epoch), 10_000, 'servers at the merged epoch');
    await expectReadable(ring, items);
  });

  it('a fresh node with only the signed bootstrap list joins and serves', async () => {
    ring = await ringOf();
    const items = values(10, 'before the newcomer');
    await putAll(ring, items);
    const list = signBootstrapList(ring.managers(), Date.now(), ring.authorityKey);
    const managers = verifyBootstrapList(list, ring.authorityKey.publicKey.bytes).managers;
    const fresh = await ring.addServer(7, () => managers);
    expect(ring.authority.authority.map().unities.some((u) => u.servers.some((s) => s.id === fresh.host.id))).toBe(true);
    const client = new RingClient({ rpc: fresh.host.rpc, router: fresh.server.router, timeoutMs: 5_000 });
    for (const item of items) expect((await client.get(item.key)).result).toEqual(item.bytes);
  });
});
