/**
 * The composition of manager servers on libp2p hosts, shared by `ame manager run` (one server and its explorer
 * per process) and `ame up` (a whole Unity in one process, one explorer): a server's files in its data folder,
 * the VRF, the explorer API over its chain, and a Unity of servers on hosts of their own.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Ed25519KeyPair, vrfProofToHash, vrfProve, vrfVerify } from '../crypto/index.ts';
import type { GenesisConfig } from '../ledger/index.ts';
import type { ConnectionOptions, Host, PeerRef } from '../net/index.ts';
import { startHost } from '../ring/service/ring-host.ts';
import { DEFAULT_EXPLORER_PORT, ExplorerServer, explorerSource } from './explorer/index.ts';
import { ManagerServer, type ManagerServerOptions } from './server.ts';

export interface ManagerNodeOptions
  extends Pick<ManagerServerOptions, 'host' | 'nodeKey' | 'seed' | 'index' | 'peers' | 'genesis' | 'sync'> {
  /** Created if missing: ledger.sqlite (the state) and chain.sqlite (the block store). */
  readonly dataDir: string;
  readonly logger?: Logger;
}

/** A manager server over its data folder (not started: the caller starts it and owns the host). */
export function managerServer(options: ManagerNodeOptions): ManagerServer {
  mkdirSync(options.dataDir, { recursive: true });
  return new ManagerServer({
    host: options.host,
    nodeKey: options.nodeKey,
    seed: options.seed,
    ...(options.index === undefined ? {} : { index: options.index }),
    peers: options.peers,
    genesis: options.genesis,
    storePath: join(options.dataDir, 'ledger.sqlite'),
    chainPath: join(options.dataDir, 'chain.sqlite'),
    sync: options.sync === true,
    vrf: { prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash },
    ...(options.logger === undefined ? {} : { logger: options.logger.child({ mod: 'manager' }) }),
  });
}

export interface ExplorerListenOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 7700; 0 picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
}

/** The explorer API over a started server's chain, listening (its URL is `explorer.url`). */
export async function startExplorer(server: ManagerServer, genesis: GenesisConfig, options: ExplorerListenOptions = {}): Promise<ExplorerServer> {
  const source = explorerSource({
    ledger: server.ledger,
    store: server.store,
    chain: server.chain,
    genesis,
    submit: (tx) => server.submit(tx),
    pending: (hash) => server.mempool.has(hash),
    roles: () => server.roles(),
  });
  const explorer = new ExplorerServer({
    source,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? DEFAULT_EXPLORER_PORT,
    ...(options.logger === undefined ? {} : { logger: options.logger.child({ mod: 'explorer' }) }),
  });
  await explorer.listen();
  return explorer;
}

export interface ManagerUnityOptions {
  /** The genesis managers' node-key seeds, in genesis order. */
  readonly seeds: readonly Uint8Array[];
  readonly genesis: GenesisConfig;
  /** Manager i's data folder. */
  readonly dataDir: (index: number) => string;
  readonly listen?: readonly string[];
  readonly connections?: ConnectionOptions;
  readonly logger?: Logger;
}

export interface ManagerUnity {
  readonly hosts: readonly Host[];
  readonly servers: readonly ManagerServer[];
  /** The genesis managers' peers (PeerIds and the addresses their hosts listen on). */
  readonly peers: readonly PeerRef[];
  /**
   * Stops manager `index` at once and for good, as a crash looks to the others: its consensus stops mid-round and
   * its host drops every connection. Its data folder stays (a later start resumes it); `stop` passes over it.
   */
  kill(index: number): Promise<void>;
  /** Whether manager `index` was killed. */
  killed(index: number): boolean;
  /** Stops the servers, then the hosts. */
  stop(): Promise<void>;
}

/**
 * The genesis managers in one process: a host each (started, every one knowing the others' addresses), then the
 * servers, started together — a restarted server asks the others for their consensus rounds, so they must answer.
 */
export async function startManagerUnity(options: ManagerUnityOptions): Promise<ManagerUnity> {
  const keys = options.seeds.map((seed) => Ed25519KeyPair.fromSeed(seed));
  const hosts: Host[] = [];
  const servers: ManagerServer[] = [];
  const stop = async () => {
    for (const server of servers.splice(0)) server.stop();
    await Promise.all(hosts.splice(0).map((host) => host.stop()));
  };
  try {
    for (const nodeKey of keys) hosts.push(await startHost(nodeKey, options.listen ?? ['/ip4/127.0.0.1/tcp/0'], options.logger, options.connections));
    const peers = hosts.map((host) => host.peer);
    keys.forEach((nodeKey, index) => {
      const host = hosts[index]!;
      const seed = options.seeds[index]!;
      const logger = options.logger?.child({ manager: index });
      servers.push(managerServer({ host, nodeKey, seed, index, peers, genesis: options.genesis, dataDir: options.dataDir(index), ...(logger === undefined ? {} : { logger }) }));
    });
    await Promise.all(servers.map((server) => server.start()));
    const started = { hosts: [...hosts], servers: [...servers] };
    const dead = new Set<number>();
    const kill = async (index: number) => {
      const server = started.servers[index];
      if (server === undefined) throw new RangeError(`no manager ${index}`);
      dead.add(index);
      server.stop();
      await started.hosts[index]!.stop();
    };
    return { ...started, peers, kill, killed: (index: number) => dead.has(index), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
