/**
 * A Worker Ring whose servers trust a six-key manager set instead of the ring-authority key: the authority
 * service publishes views certified by a quorum (5 of 6) through the in-process collector double, and the servers
 * refuse views certified by fewer, by repeats, by outsiders, with a forged signature or at a stale epoch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair } from '../../../../../node/crypto/index.ts';
import { fixedLatency, SimNetwork, seededRandom, type SimPeer } from '../../../../../node/net/sim/index.ts';
import {
  contentKey,
  decodeMapUpdate,
  genesisMap,
  managersVerifier,
  ringAuthorityVerifier,
  RingError,
  type Certify,
  type ManagersCertificate,
} from '../../../../../node/ring/index.ts';
import { RingAuthority } from '../../../../../node/ring/service/authority-service.ts';
import { bodies, decodeBody, encodeBody, METHOD } from '../../../../../node/ring/service/protocol.ts';
import { fromRemote } from '../../../../../node/ring/service/remote-errors.ts';
import { MemoryReplicaStore } from '../../../../../node/ring/service/replica-store.ts';
import { RingServer } from '../../../../../node/ring/service/server.ts';
import { encodeRingValue } from '../../../../../node/ring/service/value.ts';
import { certifyView, encodeSignedView, signView, viewOf, type SignedView } from '../../../../../node/ring/service/view.ts';
import { managerKeys, managerSet, quorumCertify, rawCertify } from './manager-quorum-double.ts';

const keys = managerKeys(6);
const set = managerSet(keys);
const outsider = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(7));

interface ManagersRing {
  readonly net: SimNetwork;
  readonly authority: RingAuthority;
  readonly authorityPeer: SimPeer;
  readonly servers: RingServer[];
  drive<T>(promise: Promise<T>, maxMs?: number): Promise<T>;
  until(predicate: () => boolean, maxMs?: number): Promise<void>;
  addServer(id: string): Promise<RingServer>;
  stop(): Promise<void>;
}

let ring: ManagersRing | undefined;
afterEach(async () => {
  await ring?.stop();
  ring = undefined;
});

/** U Unities of 6 servers on the simulator; the servers trust `set`, the authority certifies with `certify`. */
async function managersRing(options: { certify: Certify; unities?: number; waitReady?: boolean }): Promise<ManagersRing> {
  const net = new SimNetwork({ seed: 3, linkLatency: fixedLatency(5), deadPeer: 'immediate' });
  const authorityPeer = net.addPeer('authority');
  const peers = Array.from({ length: (options.unities ?? 3) * 6 }, (_, i) => net.addPeer({ id: `m${String(i).padStart(3, '0')}`, addrs: [] }));
  const genesis = genesisMap({
    unities: options.unities ?? 3,
    servers: peers.map((p) => p.self),
    serversPerUnity: 6,
    epoch: 1n,
    params: { heartbeatMs: 1_000, downAfterMs: 6_000 },
  });
  const authority = new RingAuthority({ rpc: authorityPeer, clock: net.clock, certify: options.certify, genesis });
  await authority.start();
  const serverOn = (peer: SimPeer, join: boolean) =>
    new RingServer({
      rpc: peer,
      datagrams: peer,
      clock: net.clock,
      random: seededRandom(3).fork(peer.self.id),
      store: new MemoryReplicaStore(),
      authority: { managers: () => set },
      managers: () => [authorityPeer.self],
      join,
    });
  const servers = peers.map((peer) => serverOn(peer, false));
  const drive = async <T>(promise: Promise<T>, maxMs = 60_000): Promise<T> => {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => {});
    for (let t = 0; t < maxMs && !done; t += 5) await net.clock.advance(5);
    if (!done) throw new Error(`not settled after ${maxMs} ms of virtual time`);
    return watched;
  };
  const until = async (predicate: () => boolean, maxMs = 60_000) => {
    for (let t = 0; t < maxMs && !predicate(); t += 5) await net.clock.advance(5);
    expect(predicate()).toBe(true);
  };
  await drive(Promise.all(servers.map((s) => s.start())));
  if (options.waitReady !== false) await drive(Promise.all(servers.map((s) => s.ready())));
  return {
    net,
    authority,
    authorityPeer,
    servers,
    drive,
    until,
    addServer: async (id) => {
      const server = serverOn(net.addPeer({ id, addrs: [] }), true);
      servers.push(server);
      await drive(server.start());
      await drive(server.ready());
      return server;
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await authority.stop();
    },
  };
}

/** The ring code a view push to `target` is refused with (undefined when it is accepted). */
async function pushCode(r: ManagersRing, target: string, signed: SignedView): Promise<string | undefined> {
  const body = encodeBody(bodies.views, { views: [encodeSignedView(signed)] });
  const error = await r
    .drive(r.authorityPeer.request({ id: target, addrs: [] }, METHOD.view, body))
    .then(() => undefined)
    .catch((e: unknown) => fromRemote(e));
  if (error === undefined) return undefined;
  if (!(error instanceof RingError)) throw error;
  return error.code;
}

describe('a Worker Ring certified by a quorum of six managers', () => {
  it('installs quorum-certified views, serves, and follows a new epoch', async () => {
    ring = await managersRing({ certify: quorumCertify(keys, [5, 0, 2, 4, 1]) });
    const map = ring.authority.map();
    for (const server of ring.servers) expect(server.view()?.epoch).toBe(map.epoch);
    const certificate = ring.servers[0]!.signedView()!.certificate as ManagersCertificate;
    expect(certificate.kind).toBe('managers');
    expect(certificate.entries.map((e) => set.findIndex((k) => Buffer.compare(k, e.member) === 0))).toEqual([0, 1, 2, 4, 5]);

    const data = new TextEncoder().encode('certified by managers');
    const key = contentKey(data);
    const bytes = encodeRingValue({ kind: 'content', data });
    await ring.drive(ring.servers[1]!.put(key, bytes));
    expect((await ring.drive(ring.servers[12]!.get(key))).result).toEqual(bytes);

    // A join is a new epoch, certified again by the quorum, and every server installs it.
    const fresh = await ring.addServer('fresh');
    const next = ring.authority.map();
    expect(next.epoch).toBeGreaterThan(map.epoch);
    await ring.until(() => ring!.servers.every((s) => s.view()?.epoch === next.epoch));
    expect((await ring.drive(fresh.get(key))).result).toEqual(bytes);
  });

  it('publishes map updates a managers verifier accepts and others refuse', async () => {
    ring = await managersRing({ certify: quorumCertify(keys, [0, 1, 2, 3, 4, 5]) });
    const reply = await ring.drive(ring.net.peer('m000').request(ring.authorityPeer.self, METHOD.mapGet, encodeBody(bodies.empty, {})));
    const update = decodeMapUpdate(decodeBody(bodies.mapReply, reply, METHOD.mapGet).update);
    expect(update.certificate.kind).toBe('managers');
    const map = ring.authority.map();
    expect(managersVerifier({ managers: () => set, currentEpoch: () => undefined }).verify(update)).toEqual(map);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        if (error instanceof RingError) return error.code;
        throw error;
      }
      return undefined;
    };
    expect(code(() => managersVerifier({ managers: () => set, currentEpoch: () => map.epoch }).verify(update))).toBe('STALE_EPOCH');
    const others = managerSet(managerKeys(6, 120));
    expect(code(() => managersVerifier({ managers: () => others, currentEpoch: () => undefined }).verify(update))).toBe('WRONG_KEY');
    expect(code(() => ringAuthorityVerifier({ authority: set[0]!, currentEpoch: () => undefined }).verify(update))).toBe('UNSUPPORTED');
  });

  it('refuses views of 4 of 6, repeated signers, an outsider, a forged signature, a stale epoch, a single key', async () => {
    ring = await managersRing({ certify: quorumCertify(keys, [0, 1, 2, 3, 4]) });
    const map = ring.authority.map();
    const target = ring.servers[0]!;
    const self = 'm000';
    const u = map.unities.findIndex((unity) => unity.servers.some((s) => s.id === self));
    const ahead = (by: bigint) => viewOf({ ...map, epoch: map.epoch + by }, u);
    const [k0, k1, k2, k3, k4] = keys as [Ed25519KeyPair, Ed25519KeyPair, Ed25519KeyPair, Ed25519KeyPair, Ed25519KeyPair];

    expect(await pushCode(ring, self, await certifyView(ahead(5n), rawCertify([k0, k1, k2, k3])))).toBe('NO_QUORUM');
    expect(await pushCode(ring, self, await certifyView(ahead(5n), rawCertify([k0, k1, k2, k3, k3])))).toBe('DUPLICATE_SIGNER');
    expect(await pushCode(ring, self, await certifyView(ahead(5n), rawCertify([k0, k1, k2, k3, outsider])))).toBe('WRONG_KEY');
    const good = await certifyView(ahead(5n), rawCertify([k0, k1, k2, k3, k4]));
    const entries = (good.certificate as ManagersCertificate).entries;
    const sig = Uint8Array.from(entries[2]!.sig);
    sig[0]! ^= 0x40;
    const forged: SignedView = {
      ...good,
      certificate: { kind: 'managers', epoch: good.certificate.epoch, entries: entries.map((e, i) => (i === 2 ? { member: e.member, sig } : e)) },
    };
    expect(await pushCode(ring, self, forged)).toBe('BAD_SIGNATURE');
    expect(await pushCode(ring, self, signView(ahead(5n), k0))).toBe('UNSUPPORTED');
    expect(target.view()?.epoch).toBe(map.epoch); // nothing above was installed

    // A good quorum is accepted; an older one after it is stale, checked before its (forged) signatures.
    expect(await pushCode(ring, self, good)).toBeUndefined();
    expect(target.view()?.epoch).toBe(map.epoch + 5n);
    const older = await certifyView(ahead(3n), rawCertify([outsider]));
    expect(await pushCode(ring, self, older)).toBe('STALE_EPOCH');
    expect(target.view()?.epoch).toBe(map.epoch + 5n);
  });

  it('servers never install the views of an authority that gathers only 4 of 6', async () => {
    ring = await managersRing({ certify: rawCertify(keys.slice(0, 4)), unities: 2, waitReady: false });
    await ring.net.clock.advance(5_000);
    for (const server of ring.servers) expect(server.view()).toBeUndefined();
  });
});
