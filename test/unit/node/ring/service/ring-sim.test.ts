import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ecdsaAccountKey, Ed25519KeyPair, sha256 } from '../../../../../node/crypto/index.ts';
import { contentKey, ownedKey, signOwnedRecord } from '../../../../../node/ring/records.ts';
import { replicaSet } from '../../../../../node/ring/replicas.ts';
import { unityOfKey } from '../../../../../node/ring/locate.ts';
import { route } from '../../../../../node/ring/groups.ts';
import { encodeRingValue } from '../../../../../node/ring/service/value.ts';
import { encodeBody, bodies, METHOD } from '../../../../../node/ring/service/protocol.ts';
import { encodeSignedView, signView, viewOf } from '../../../../../node/ring/service/view.ts';
import { simRing, type SimRing } from '../../../../support/ring-sim.ts';

let ring: SimRing | undefined;
const codeOf = (error: unknown) => (error as { code?: string }).code;
afterEach(async () => {
  await ring?.stop();
  ring = undefined;
});

const content = (text: string) => {
  const data = new TextEncoder().encode(text);
  return { key: contentKey(data), bytes: encodeRingValue({ kind: 'content', data }) };
};

describe('Worker Ring on the simulator (9 Unities of 6 servers)', () => {
  it('finds the owner of every key from every server in at most two hops', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6 });
    const map = ring.authority.map();
    const hopsSeen = new Set<number>();
    for (let k = 0; k < 20; k++) {
      const key = sha256(new TextEncoder().encode(`key ${k}`));
      for (const server of ring.servers) {
        const located = await ring.drive(server.locate(key));
        expect(located.index).toBe(unityOfKey(map, key));
        // Exactly the Unities of the index-level route: 0 home, 1 in the group, 2 through a counterpart.
        const own = server.view()!.slice.index;
        expect(located.hops).toBe(route(own, located.index, map.unities.length).length);
        expect(located.hops).toBeLessThanOrEqual(2);
        hopsSeen.add(located.hops);
      }
    }
    expect([...hopsSeen].sort()).toEqual([0, 1, 2]);
  });

  it('writes to a majority of five replicas and reads from any server, after two replicas die', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6 });
    const { key, bytes } = content('hello ring');
    const put = await ring.drive(ring.servers[0]!.put(key, bytes));
    expect(put.result.replicas).toBe(5);
    expect(put.result.acks).toBeGreaterThanOrEqual(3);
    const map = ring.authority.map();
    const replicas = replicaSet(map.unities[unityOfKey(map, key)]!, key, 5);
    for (const dead of replicas.slice(0, 2)) ring.net.peer(dead.id).kill();
    const reader = ring.servers.find((_, i) => !replicas.slice(0, 2).some((r) => r.id === ring!.peers[i]!.self.id))!;
    const got = await ring.drive(reader.get(key));
    expect(got.result).toEqual(bytes);
  });

  it('refuses a content value under a key that is not its hash', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6 });
    const { bytes } = content('x');
    const wrongKey = sha256(new TextEncoder().encode('not x'));
    const error = await ring.drive(ring.servers[3]!.put(wrongKey, bytes)).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('KEY_MISMATCH');
  });

  it('lets only the owner overwrite an owned record, and only with a higher sequence', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6 });
    const owner = ecdsaAccountKey(randomBytes(32));
    const key = ownedKey(owner.address, 'profile');
    const v = (seq: number, text: string) =>
      encodeRingValue({ kind: 'owned', record: signOwnedRecord(owner, { name: 'profile', seq, payload: new TextEncoder().encode(text) }) });
    await ring.drive(ring.servers[1]!.put(key, v(2, 'two')));
    expect(codeOf(await ring.drive(ring.servers[2]!.put(key, v(1, 'one'))).catch((e: unknown) => e))).toBe('STALE_RECORD');
    await ring.drive(ring.servers[5]!.put(key, v(3, 'three')));
    expect((await ring.drive(ring.servers[7]!.get(key))).result).toEqual(v(3, 'three'));

    const thief = ecdsaAccountKey(randomBytes(32));
    const forged = signOwnedRecord(thief, { name: 'profile', seq: 9, payload: new Uint8Array([1]) });
    const claimed = encodeRingValue({ kind: 'owned', record: { ...forged, owner: owner.address } });
    expect(codeOf(await ring.drive(ring.servers[4]!.put(key, claimed)).catch((e: unknown) => e))).toMatch(/BAD_OWNER|BAD_SIGNATURE/);
    const mine = encodeRingValue({ kind: 'owned', record: forged });
    expect(codeOf(await ring.drive(ring.servers[4]!.put(key, mine)).catch((e: unknown) => e))).toBe('KEY_MISMATCH');
  });

  it('refuses a view pushed without the authority’s certificate', async () => {
    ring = await simRing({ unities: 9, serversPerUnity: 6 });
    const map = ring.authority.map();
    const forger = Ed25519KeyPair.generate();
    const forged = signView(viewOf({ ...map, epoch: map.epoch + 5n }, 0), forger);
    const target = map.unities[0]!.servers[0]!;
    const body = encodeBody(bodies.views, { views: [encodeSignedView(forged)] });
    // Pushed by the authority's own peer (so only the certificate is at fault).
    const error = await ring.drive(ring.net.peer('authority').request(target, METHOD.view, body)).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('BAD_REQUEST');
    expect(String((error as Error).message)).toContain('WRONG_KEY');
    expect(ring.servers[0]!.view()!.epoch).toBe(map.epoch);
  });
});

describe('reads check the winning copy', () => {
  it('passes over a replica copy that claims a higher sequence but is not signed by the owner', async () => {
    ring = await simRing({ unities: 3, serversPerUnity: 6 });
    const owner = ecdsaAccountKey(randomBytes(32));
    const key = ownedKey(owner.address, 'n');
    const genuine = signOwnedRecord(owner, { name: 'n', seq: 1, payload: new TextEncoder().encode('real') });
    const genuineBytes = encodeRingValue({ kind: 'owned', record: genuine });
    await ring.drive(ring.servers[0]!.put(key, genuineBytes));
    // One replica's disk holds a forged seq 9 (the store trusts what its own server checked, so write it directly).
    const forged = { ...genuine, seq: 9, payload: new TextEncoder().encode('fake') };
    const map = ring.authority.map();
    const holder = replicaSet(map.unities[unityOfKey(map, key)]!, key, 5)[0]!;
    const i = ring.peers.findIndex((p) => p.self.id === holder.id);
    await ring.stores[i]!.accept(key, { kind: 'owned', record: forged }, encodeRingValue({ kind: 'owned', record: forged }));
    for (const server of ring.servers.slice(0, 6)) expect((await ring.drive(server.get(key))).result).toEqual(genuineBytes);
  });
});
