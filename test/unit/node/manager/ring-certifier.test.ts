/**
 * The ring-document collector of node/manager/ring-certifier.ts without libp2p: the `manager/ring-sign` request
 * decoder under arbitrary input (fast-check), the responder's rules (one document per map or Unity view and
 * epoch, no stale epoch, the ledger's set, the ring's tags, well-formed documents, a record that outlives a
 * restart), and the collector on the deterministic simulator (quorum, refusals, QUORUM_TIMEOUT at its deadline).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair, peerIdOf } from '../../../../node/crypto/index.ts';
import {
  decodeRingSignRequest,
  encodeRingSignRequest,
  ManagerError,
  memoryRecords,
  RingCertifier,
  type RingSignRequest,
  type SignRecords,
} from '../../../../node/manager/index.ts';
import { NetError, type Rpc } from '../../../../node/net/index.ts';
import { fixedLatency, SimNetwork, type SimPeer } from '../../../../node/net/sim/index.ts';
import {
  checkManagersCertificate,
  encodeRingMap,
  genesisMap,
  MAP_CERTIFICATE_TAG,
  type ManagersCertificate,
  type RingMap,
} from '../../../../node/ring/index.ts';
import { encodeView, VIEW_CERTIFICATE_TAG, viewOf } from '../../../../node/ring/service/view.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { cborValue } from '../../../support/wire-arbitraries.ts';

const keys = Array.from({ length: 6 }, (_, i) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(60 + i)));
const set = keys.map((k) => Uint8Array.from(k.publicKey.bytes));
const outsider = Uint8Array.from(Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(99)).publicKey.bytes);

const servers = Array.from({ length: 12 }, (_, i) => ({ id: peerIdOf(Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(i + 1)).publicKey.bytes), addrs: [] }));
const mapAt = (epoch: bigint, heartbeatMs = 10_000): RingMap =>
  genesisMap({ unities: 2, servers, serversPerUnity: 6, epoch, params: { heartbeatMs } });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ManagerError) return `${error.code}/${error.reason}`;
    if (error instanceof NetError) return error.code;
    throw error;
  }
  return undefined;
}

const noRpc = { self: { id: 'x', addrs: [] } } as unknown as Rpc;
function responder(k: number, records: SignRecords = memoryRecords(), managers: () => readonly Uint8Array[] | undefined = () => set): RingCertifier {
  return new RingCertifier({ rpc: noRpc, clock: new SimNetwork().clock, nodeKey: keys[k]!, managers, peerOf: () => ({ id: 'x', addrs: [] }), records });
}
const request = (over: Partial<RingSignRequest> & { bytes: Uint8Array; epoch: bigint }): RingSignRequest => ({ tag: MAP_CERTIFICATE_TAG, managers: set, ...over });

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const validRequest = fc.record({
  tag: fc.string({ maxLength: 64, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ-v0123456789'.split('')) }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  epoch: u64,
  managers: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 8 }),
});
/** CBOR maps with the request's keys and random values, one field at a time off the schema. */
const nearValid = fc
  .record({ tag: fc.oneof(fc.string(), cborValue), bytes: fc.oneof(fc.uint8Array({ maxLength: 40 }), cborValue), epoch: fc.oneof(u64, fc.integer(), cborValue), managers: fc.oneof(fc.array(fc.uint8Array({ maxLength: 33 }), { maxLength: 4 }), cborValue) }, { requiredKeys: [] })
  .map((v) => encodeCbor(v as never));

describe('manager/ring-sign request decoder', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(validRequest, (req) => {
        expect(decodeRingSignRequest(encodeRingSignRequest(req))).toEqual(req);
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it('answers any other input with a request within bounds or NetError BAD_REQUEST, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), cborValue.map((v) => encodeCbor(v)), nearValid), (body) => {
        let decoded: RingSignRequest;
        try {
          decoded = decodeRingSignRequest(body);
        } catch (error) {
          expect(error).toBeInstanceOf(NetError);
          expect((error as NetError).code).toBe('BAD_REQUEST');
          return;
        }
        expect(typeof decoded.tag).toBe('string');
        expect(decoded.bytes.length).toBeGreaterThan(0);
        expect(decoded.epoch >= 0n && decoded.epoch < 1n << 64n).toBe(true);
        expect(decoded.managers.length).toBeGreaterThan(0);
        for (const k of decoded.managers) expect(k.length).toBe(32);
        expect(encodeRingSignRequest(decoded)).toEqual(body); // only canonical encodings decode
      }),
      { numRuns: 1_000, seed: 7 },
    );
  });
});

describe('a responder signs a ring document only once per epoch', () => {
  const map2 = mapAt(2n);
  const rival2 = encodeRingMap(mapAt(2n, 11_000));

  it('map updates: the same again, a later epoch; not a rival, not an older epoch', () => {
    const r = responder(1);
    expect(r.sign(request({ bytes: encodeRingMap(map2), epoch: 2n })).member).toEqual(set[1]);
    expect(code(() => r.sign(request({ bytes: encodeRingMap(map2), epoch: 2n })))).toBeUndefined();
    expect(code(() => r.sign(request({ bytes: rival2, epoch: 2n })))).toBe('SIGN_REFUSED/CONFLICT');
    expect(code(() => r.sign(request({ bytes: encodeRingMap(mapAt(1n)), epoch: 1n })))).toBe('SIGN_REFUSED/STALE_EPOCH');
    expect(code(() => r.sign(request({ bytes: encodeRingMap(mapAt(3n, 12_000)), epoch: 3n })))).toBeUndefined();
    expect(code(() => r.sign(request({ bytes: encodeRingMap(map2), epoch: 2n })))).toBe('SIGN_REFUSED/STALE_EPOCH');
  });

  it('views: one per Unity and epoch', () => {
    const r = responder(1);
    const view = (map: RingMap, u: number) => request({ tag: VIEW_CERTIFICATE_TAG, bytes: encodeView(viewOf(map, u)), epoch: map.epoch });
    expect(code(() => r.sign(view(map2, 0)))).toBeUndefined();
    expect(code(() => r.sign(view(map2, 1)))).toBeUndefined(); // another Unity's view of the same epoch
    expect(code(() => r.sign(view(mapAt(2n, 11_000), 1)))).toBe('SIGN_REFUSED/CONFLICT');
    expect(code(() => r.sign(view(mapAt(3n), 0)))).toBeUndefined();
    expect(code(() => r.sign(view(mapAt(2n, 11_000), 0)))).toBe('SIGN_REFUSED/STALE_EPOCH');
    // A view and the map are different documents: the map of epoch 2 is still free.
    expect(code(() => r.sign(request({ bytes: rival2, epoch: 2n })))).toBeUndefined();
  });

  it('the record outlives the certifier (a restart on the same store)', () => {
    const records = memoryRecords();
    responder(2, records).sign(request({ bytes: encodeRingMap(map2), epoch: 2n }));
    expect(code(() => responder(2, records).sign(request({ bytes: rival2, epoch: 2n })))).toBe('SIGN_REFUSED/CONFLICT');
  });

  it('refuses other sets, tags, documents and a server without a ledger or outside its set', () => {
    const r = responder(1);
    const bytes = encodeRingMap(map2);
    expect(code(() => r.sign(request({ bytes, epoch: 2n, managers: [...set.slice(0, 5), outsider] })))).toBe('SIGN_REFUSED/WRONG_SET');
    expect(code(() => r.sign(request({ bytes, epoch: 2n, managers: [...set].reverse() })))).toBe('SIGN_REFUSED/WRONG_SET');
    expect(code(() => r.sign(request({ bytes, epoch: 2n, tag: 'AME-RING-BOOTSTRAP-v1' })))).toBe('SIGN_REFUSED/BAD_TAG');
    expect(code(() => r.sign(request({ bytes, epoch: 3n })))).toBe('SIGN_REFUSED/BAD_DOCUMENT');
    expect(code(() => r.sign(request({ bytes, epoch: 2n, tag: VIEW_CERTIFICATE_TAG })))).toBe('SIGN_REFUSED/BAD_DOCUMENT');
    expect(code(() => r.sign(request({ bytes: new Uint8Array([0xa0]), epoch: 2n })))).toBe('SIGN_REFUSED/BAD_DOCUMENT');
    expect(code(() => responder(1, memoryRecords(), () => undefined).sign(request({ bytes, epoch: 2n })))).toBe('SIGN_REFUSED/NOT_READY');
    expect(code(() => responder(1, memoryRecords(), () => [...set.slice(0, 1), ...set.slice(2)]).sign(request({ bytes, epoch: 2n })))).toBe('SIGN_REFUSED/NOT_MEMBER');
  });
});

describe('the collector on the simulator', () => {
  function simUnity() {
    const net = new SimNetwork({ seed: 4, linkLatency: fixedLatency(5), deadPeer: 'immediate' });
    const peers: SimPeer[] = keys.map((k) => net.addPeer({ id: peerIdOf(k.publicKey.bytes), addrs: [] }));
    const certifiers = keys.map((nodeKey, i) => {
      const c = new RingCertifier({ rpc: peers[i]!, clock: net.clock, nodeKey, managers: () => set, peerOf: (key) => ({ id: peerIdOf(key), addrs: [] }), records: memoryRecords(), timeoutMs: 1_000, retryMs: 100 });
      c.serve();
      return c;
    });
    const drive = async <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; at: number }> => {
      const start = net.clock.now();
      let settled: { value?: T; error?: unknown } | undefined;
      promise.then((value) => (settled = { value }), (error: unknown) => (settled = { error }));
      for (let t = 0; t < 10_000 && settled === undefined; t += 5) await net.clock.advance(5);
      return { ...settled, at: net.clock.now() - start };
    };
    return { peers, certifiers, drive };
  }
  const doc = { tag: MAP_CERTIFICATE_TAG, bytes: encodeRingMap(mapAt(4n)), epoch: 4n };

  it('assembles a quorum certificate; with two of six dead it fails with QUORUM_TIMEOUT at the deadline', async () => {
    const u = simUnity();
    const ok = await u.drive(u.certifiers[0]!.certify(doc));
    checkManagersCertificate(set, ok.value!, 'map', doc.tag, doc.bytes);
    expect((ok.value as ManagersCertificate).entries.length).toBeGreaterThanOrEqual(5);
    u.peers[4]!.kill();
    u.peers[5]!.kill();
    const next = { tag: MAP_CERTIFICATE_TAG, bytes: encodeRingMap(mapAt(5n)), epoch: 5n };
    const failed = await u.drive(u.certifiers[1]!.certify(next));
    expect(failed.error).toBeInstanceOf(ManagerError);
    expect((failed.error as ManagerError).code).toBe('QUORUM_TIMEOUT');
    expect(failed.at).toBeGreaterThanOrEqual(1_000);
    expect(failed.at).toBeLessThan(1_100);
    u.peers[5]!.restart();
    u.certifiers[5]!.serve();
    const back = await u.drive(u.certifiers[1]!.certify(next)); // retried documents are signed again
    expect(back.error).toBeUndefined();
  });

  it('fails at once (SIGN_REFUSED/CONFLICT) when members already signed a rival', async () => {
    const u = simUnity();
    const rival = { ...doc, bytes: encodeRingMap(mapAt(4n, 11_000)) };
    for (const i of [3, 4]) u.certifiers[i]!.sign({ ...rival, managers: set });
    const failed = await u.drive(u.certifiers[0]!.certify(doc));
    expect(code(() => { throw failed.error; })).toBe('SIGN_REFUSED/CONFLICT');
    expect(failed.at).toBeLessThan(100);
  });
});
