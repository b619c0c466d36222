/**
 * A whole Worker Ring in the deterministic simulator: an authority and U Unities of S servers, each a RingServer
 * with an in-memory replica store, on one SimNetwork driven from a seed.
 */
import { Ed25519KeyPair } from '../../node/crypto/index.ts';
import { fixedLatency, SimNetwork, seededRandom, type LatencyDistribution, type SimPeer } from '../../node/net/sim/index.ts';
import { genesisMap } from '../../node/ring/genesis.ts';
import type { RingParams } from '../../node/ring/map.ts';
import { RingAuthority } from '../../node/ring/service/authority-service.ts';
import { MemoryReplicaStore } from '../../node/ring/service/replica-store.ts';
import { RingServer } from '../../node/ring/service/server.ts';
import type { ValueSchemes } from '../../node/ring/service/value.ts';

export interface SimRing {
  readonly net: SimNetwork;
  readonly authority: RingAuthority;
  readonly authorityKey: Ed25519KeyPair;
  /** The authority's peer (it answers ring/join, ring/report-down, ring/map-get). */
  readonly authorityPeer: SimPeer;
  readonly servers: RingServer[];
  readonly peers: SimPeer[];
  readonly stores: MemoryReplicaStore[];
  /** A new server on a fresh peer, started (joining the ring when `join`). */
  addServer(id: string, options?: { join?: boolean; unity?: string; store?: MemoryReplicaStore; peer?: SimPeer }): Promise<RingServer>;
  /** Server i again on its peer, with an empty store (a wiped disk). */
  restart(i: number): Promise<void>;
  /** Runs the virtual clock in small steps until `promise` settles (or `maxMs` of virtual time pass). */
  drive<T>(promise: Promise<T>, maxMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function simRing(options: {
  unities: number;
  serversPerUnity: number;
  seed?: number;
  params?: Partial<RingParams>;
  latency?: LatencyDistribution;
  /** Checked value kinds the servers accept. */
  schemes?: ValueSchemes;
  /** Whether the authority admits a new server (RingAuthorityOptions.admitJoin). */
  admitJoin?: (peer: string, unity: string | undefined) => boolean;
}): Promise<SimRing> {
  const seed = options.seed ?? 1;
  const net = new SimNetwork({ seed, linkLatency: options.latency ?? fixedLatency(5), deadPeer: 'immediate' });
  const random = seededRandom(seed).fork('keys');
  const authorityKey = Ed25519KeyPair.generate((n) => random.bytes(n));
  const authorityPeer = net.addPeer('authority');
  const count = options.unities * options.serversPerUnity;
  const peers = Array.from({ length: count }, (_, i) => net.addPeer({ id: `s${String(i).padStart(3, '0')}`, addrs: [] }));
  const genesis = genesisMap({
    unities: options.unities,
    servers: peers.map((p) => p.self),
    serversPerUnity: options.serversPerUnity,
    epoch: 1n,
    params: { heartbeatMs: 1_000, downAfterMs: 6_000, ...options.params },
  });
  const authority = new RingAuthority({
    rpc: authorityPeer,
    clock: net.clock,
    key: authorityKey,
    genesis,
    ...(options.admitJoin === undefined ? {} : { admitJoin: options.admitJoin }),
  });
  await authority.start();
  const stores = peers.map(() => new MemoryReplicaStore());
  const serverOn = (peer: SimPeer, store: MemoryReplicaStore, join = false, unity?: string) =>
    new RingServer({
      rpc: peer,
      datagrams: peer,
      clock: net.clock,
      random: seededRandom(seed).fork(`server-${peer.self.id}`),
      store,
      authority: authorityKey.publicKey.bytes,
      managers: () => [authorityPeer.self],
      join,
      ...(unity === undefined ? {} : { unity }),
      ...(options.schemes === undefined ? {} : { schemes: options.schemes }),
    });
  const servers = peers.map((peer, i) => serverOn(peer, stores[i]!));
  const drive = async <T>(promise: Promise<T>, maxMs = 120_000): Promise<T> => {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => {});
    for (let t = 0; t < maxMs && !done; t += 5) await net.clock.advance(5);
    if (!done) throw new Error(`not settled after ${maxMs} ms of virtual time`);
    return watched;
  };
  await drive(Promise.all(servers.map((s) => s.start())));
  await drive(Promise.all(servers.map((s) => s.ready())));
  return {
    net,
    authority,
    authorityKey,
    authorityPeer,
    servers,
    peers,
    stores,
    drive,
    addServer: async (id, o = {}) => {
      const peer = o.peer ?? net.addPeer({ id, addrs: [] });
      const server = serverOn(peer, o.store ?? new MemoryReplicaStore(), o.join ?? false, o.unity);
      servers.push(server);
      await drive(server.start());
      await drive(server.ready());
      return server;
    },
    restart: async (i) => {
      await servers[i]!.stop();
      peers[i]!.kill();
      peers[i]!.restart();
      stores[i] = new MemoryReplicaStore();
      servers[i] = serverOn(peers[i]!, stores[i]);
      await drive(servers[i].start());
      await drive(servers[i].ready());
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await authority.stop();
    },
  };
}
