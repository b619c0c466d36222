/**
 * A whole Worker Ring on real libp2p over loopback: an authority node and U Unities of S server nodes, each with
 * its replicas in an ABNS store (SQLite on disk) under a temporary folder. Hosts listen on port 0; stop() stops
 * every node and removes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519KeyPair, sha256, utf8 } from '../../node/crypto/index.ts';
import type { PeerRef } from '../../node/net/index.ts';
import { genesisMap } from '../../node/ring/genesis.ts';
import type { RingParams } from '../../node/ring/map.ts';
import type { ValueSchemes } from '../../node/ring/service/value.ts';
import {
  startHost,
  startRingAuthorityNode,
  startRingServerNode,
  type RingAuthorityNode,
  type RingServerNode,
} from '../../node/ring/service/ring-host.ts';

export interface NetRing {
  readonly dir: string;
  readonly authorityKey: Ed25519KeyPair;
  readonly authority: RingAuthorityNode;
  /** Index i: the node of server i, or undefined while it is stopped. */
  readonly nodes: (RingServerNode | undefined)[];
  readonly keys: Ed25519KeyPair[];
  managers(): PeerRef[];
  live(): RingServerNode[];
  stopServer(i: number): Promise<void>;
  /** Starts server i again on a new port with its data folder (it rejoins with its new address). */
  restartServer(i: number): Promise<RingServerNode>;
  /** A server that is not in the genesis map joins through the managers. */
  addServer(seed: number, managers?: () => readonly PeerRef[]): Promise<RingServerNode>;
  stop(): Promise<void>;
}

const seedKey = (n: number) => Ed25519KeyPair.fromSeed(sha256(utf8(`ring test key ${n}`)));

export async function netRing(options: {
  unities: number;
  serversPerUnity: number;
  params?: Partial<RingParams>;
  mergeAfterMs?: number;
  /** Checked value kinds the servers accept (e.g. blob parts). */
  schemes?: ValueSchemes;
}): Promise<NetRing> {
  const dir = mkdtempSync(join(tmpdir(), 'ame-ring-'));
  const authorityKey = seedKey(250);
  const count = options.unities * options.serversPerUnity;
  const keys = Array.from({ length: count }, (_, i) => seedKey(1000 + i));
  const listen = ['/ip4/127.0.0.1/tcp/0'];
  // Every node of the test ring dials from 127.0.0.1: the per-address inbound limit would throttle them.
  const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256 };
  const hosts = await Promise.all(keys.map((key) => startHost(key, listen, undefined, connections)));
  const genesis = genesisMap({
    unities: options.unities,
    servers: hosts.map((h) => h.peer),
    serversPerUnity: options.serversPerUnity,
    epoch: 1n,
    params: { heartbeatMs: 1_000, downAfterMs: 6_000, ...options.params },
  });
  const authority = await startRingAuthorityNode({
    key: authorityKey,
    nodeKey: seedKey(251),
    genesis,
    listen,
    connections,
    ...(options.mergeAfterMs === undefined ? {} : { mergeAfterMs: options.mergeAfterMs }),
  });
  const managers = () => [authority.host.peer];
  const serverOptions = (i: number) => ({
    nodeKey: keys[i]!,
    dataDir: join(dir, `s${i}`),
    authority: authorityKey.publicKey.bytes,
    managers,
    listen,
    connections,
    ...(options.schemes === undefined ? {} : { schemes: options.schemes }),
  });
  const nodes: (RingServerNode | undefined)[] = await Promise.all(
    hosts.map((host, i) => startRingServerNode({ ...serverOptions(i), host })),
  );
  await Promise.all(nodes.map((n) => n!.server.ready()));
  const extra: RingServerNode[] = [];
  return {
    dir,
    authorityKey,
    authority,
    nodes,
    keys,
    managers,
    live: () => nodes.filter((n): n is RingServerNode => n !== undefined),
    stopServer: async (i) => {
      await nodes[i]?.stop();
      nodes[i] = undefined;
    },
    restartServer: async (i) => {
      const node = await startRingServerNode({ ...serverOptions(i), join: true });
      nodes[i] = node;
      await node.server.ready();
      return node;
    },
    addServer: async (seed, known = managers) => {
      const node = await startRingServerNode({
        nodeKey: seedKey(3000 + seed),
        dataDir: join(dir, `x${seed}`),
        authority: authorityKey.publicKey.bytes,
        managers: known,
        listen,
        connections,
        join: true,
        ...(options.schemes === undefined ? {} : { schemes: options.schemes }),
      });
      extra.push(node);
      await node.server.ready();
      return node;
    },
    stop: async () => {
      await Promise.all([...nodes, ...extra].map((n) => n?.stop()));
      await authority.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}
