/**
 * Checked values on a whole ring (simulator): servers given a scheme store and serve its values, refuse what its
 * checker refuses and any scheme they were not given — with a typed RingError at the caller and nothing stored
 * anywhere — and a restarted server's pull checks pairs with the same schemes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../../../../../node/crypto/index.ts';
import { NetError } from '../../../../../node/net/errors.ts';
import { keysEqual, replicaSet, RingError, unityOfKey, type Key } from '../../../../../node/ring/index.ts';
import { bodies, encodeBody, METHOD } from '../../../../../node/ring/service/protocol.ts';
import { encodeRingValue, type ValueSchemes } from '../../../../../node/ring/service/value.ts';
import { simRing, type SimRing } from '../../../../support/ring-sim.ts';

/** Like a blob part: the key is SHA-256('part' ‖ data). */
const partKey = (data: Uint8Array): Key => sha256(new Uint8Array([...utf8('part'), ...data]));
const schemes: ValueSchemes = {
  'test-part': (key, data) => {
    if (!keysEqual(key, partKey(data))) throw new Error('not the part key');
  },
};
const part = (data: Uint8Array, scheme = 'test-part') => encodeRingValue({ kind: 'checked', scheme, data });

let ring: SimRing | undefined;
afterEach(async () => {
  await ring?.stop();
  ring = undefined;
});

/** 2 Unities of 6 servers that accept the test-part scheme. */
const checkedRing = () => simRing({ unities: 2, serversPerUnity: 6, seed: 4, schemes });

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
const holders = (r: SimRing, key: Key) => r.stores.filter((store) => store.get(key) !== undefined).length;

describe('checked values on a ring', () => {
  it('stores a checked value its scheme accepts and reads it back from any server', async () => {
    ring = await checkedRing();
    const data = utf8('manifest of a blob');
    const put = await ring.drive(ring.servers[0]!.put(partKey(data), part(data)));
    expect(put.result.acks).toBeGreaterThanOrEqual(3);
    expect(holders(ring, partKey(data))).toBeGreaterThanOrEqual(3);
    for (const reader of [ring.servers[5]!, ring.servers[11]!]) {
      expect((await ring.drive(reader.get(partKey(data)))).result).toEqual(part(data));
    }
  });

  it('refuses a value the checker refuses, and a scheme it was not given, storing nothing', async () => {
    ring = await checkedRing();
    const data = utf8('chunk');
    const refused = await ring.drive(failure(ring.servers[1]!.put(sha256(data), part(data))));
    expect(refused).toBeInstanceOf(RingError);
    expect((refused as RingError).code).toBe('BAD_VALUE');
    expect((refused as RingError).message).toContain('not the part key');
    expect(holders(ring, sha256(data))).toBe(0);

    const unknown = await ring.drive(failure(ring.servers[7]!.put(partKey(data), part(data, 'other-part'))));
    expect(unknown).toBeInstanceOf(RingError);
    expect((unknown as RingError).code).toBe('UNSUPPORTED');
    expect((unknown as RingError).message).toContain('other-part');
    expect(holders(ring, partKey(data))).toBe(0);
  });

  it('answers a sibling’s refused replica-put with a typed error and keeps serving', async () => {
    ring = await checkedRing();
    const data = utf8('forged part');
    const map = ring.authority.map();
    const unity = map.unities[unityOfKey(map, sha256(data))]!;
    const [target, sibling] = unity.servers.map((s) => ring!.peers.find((p) => p.self.id === s.id)!);
    const body = encodeBody(bodies.putRequest, { epoch: map.epoch, key: sha256(data), value: part(data) });
    const error = await ring.drive(failure(sibling!.request(target!.self, METHOD.replicaPut, body, { timeoutMs: 2_000 })));
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe('BAD_REQUEST');
    expect(new TextDecoder().decode((error as NetError).data)).toBe('BAD_VALUE');
    expect(holders(ring, sha256(data))).toBe(0);
    const good = utf8('a good part');
    await ring.drive(ring.servers[2]!.put(partKey(good), part(good)));
    expect((await ring.drive(ring.servers[3]!.get(partKey(good)))).result).toEqual(part(good));
  });

  it('a restarted server pulls its checked pairs from its siblings', async () => {
    ring = await checkedRing();
    const data = utf8('pulled part');
    const key = partKey(data);
    await ring.drive(ring.servers[0]!.put(key, part(data)));
    const map = ring.authority.map();
    const replica = replicaSet(map.unities[unityOfKey(map, key)]!, key, 5)[0]!;
    const i = ring.peers.findIndex((p) => p.self.id === replica.id);
    await ring.restart(i);
    expect(ring.stores[i]!.get(key)).toEqual(part(data));
  });
});
