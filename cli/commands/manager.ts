/**
 * `ame manager run --config FILE`: one Manager Ring server as a process — a libp2p host, a ManagerServer (ACP,
 * ledger, mempool) and the explorer HTTP API over its chain (docs/cli.md, docs/explorer.md). Runs until SIGINT or
 * SIGTERM, then stops the API, the server and the host in that order.

 * A data folder that already holds a chain is reopened (restart); `"sync": true` on an empty one copies a member's
 * state first (a new or replaced server, docs/manager.md "State sync").
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pino } from 'pino';
import { bytesEqual, Ed25519KeyPair, fromHex, peerIdOf, toHex } from '../../node/crypto/index.ts';
import { decodeGenesis, type GenesisConfig, genesisId } from '../../node/ledger/index.ts';
import { ManagerError } from '../../node/manager/index.ts';
import { managerServer, startExplorer } from '../../node/manager/manager-node.ts';
import { createHost, type PeerRef } from '../../node/net/index.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

const USAGE = `ame manager run --config FILE [--log-level LEVEL]
  runs one Manager Ring server (libp2p host, consensus, ledger, mempool) and its explorer API until Ctrl-C
  FILE is JSON: {genesis, nodeKey, index?, peers: [{id, addrs}], listen, dataDir, sync?, http: {host, port}, logLevel}
  (docs/cli.md describes every field)`;

export interface ManagerConfig {
  /** The genesis file: `encodeGenesis` bytes, or the same as hex text. */
  readonly genesis: string;
  /** The node key's 32-byte Ed25519 seed: raw, or 64 hex digits. */
  readonly nodeKey: string;
  /** This server's index among the genesis managers (checked when given; a later member has none). */
  readonly index?: number;
  /** The managers' PeerIds and multiaddrs this server knows, in any order (at least the genesis managers'). */
  readonly peers: readonly PeerRef[];
  /** On an empty data folder: copy a member's state instead of starting from the genesis. */
  readonly sync?: boolean;
  /** libp2p listen multiaddrs (default /ip4/127.0.0.1/tcp/0). */
  readonly listen?: readonly string[];
  /** Where the state and the chain live (created if missing; reopened when it holds a chain). */
  readonly dataDir: string;
  readonly http?: { readonly host?: string; readonly port?: number };
  readonly logLevel?: string;
}

function bad(file: string, message: string): ManagerError {
  return new ManagerError('BAD_CONFIG', `${file}: ${message}`);
}

function readConfig(path: string): ManagerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new CliError('NOT_FOUND', `cannot read the config ${path}: ${(cause as Error).message}`, { cause });
  }
  const c = raw as Partial<ManagerConfig> | null;
  if (typeof c !== 'object' || c === null) throw bad(path, 'not a JSON object');
  for (const field of ['genesis', 'nodeKey', 'dataDir'] as const) {
    if (typeof c[field] !== 'string' || c[field] === '') throw bad(path, `"${field}" must be a path`);
  }
  if (c.index !== undefined && (!Number.isSafeInteger(c.index) || c.index < 0)) throw bad(path, '"index" must be a manager index (0, 1, …)');
  if (c.sync !== undefined && typeof c.sync !== 'boolean') throw bad(path, '"sync" must be true or false');
  const peerOk = (p: unknown) =>
    typeof p === 'object' && p !== null && typeof (p as PeerRef).id === 'string' && Array.isArray((p as PeerRef).addrs) && (p as PeerRef).addrs.every((a) => typeof a === 'string');
  if (!Array.isArray(c.peers) || !c.peers.every(peerOk)) throw bad(path, '"peers" must be a list of {"id": PeerId, "addrs": [multiaddr…]}');
  if (c.listen !== undefined && !(Array.isArray(c.listen) && c.listen.every((a) => typeof a === 'string'))) throw bad(path, '"listen" must be a list of multiaddrs');
  const port = c.http?.port;
  if (port !== undefined && (!Number.isSafeInteger(port) || port < 0 || port > 65535)) throw bad(path, '"http.port" must be 0…65535');
  if (c.http?.host !== undefined && typeof c.http.host !== 'string') throw bad(path, '"http.host" must be a host name or address');
  return c as ManagerConfig;
}

/** File bytes, or hex text decoded (a file written as hex by hand or by a script). */
function fileBytes(path: string, what: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new CliError('NOT_FOUND', `cannot read the ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
  const text = bytes.toString('latin1').trim();
  return /^([0-9a-fA-F]{2})+$/.test(text) ? fromHex(text.toLowerCase()) : new Uint8Array(bytes);
}

export function loadGenesis(path: string): GenesisConfig {
  try {
    return decodeGenesis(fileBytes(path, 'genesis'));
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new ManagerError('BAD_CONFIG', `the genesis ${path} does not decode: ${(cause as Error).message}`, { cause });
  }
}

export async function manager(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'run') throw new CliError('USAGE', `unknown manager command "${sub}"\nusage: ${USAGE}`);
  const { values, positionals } = parse(rest, { config: { type: 'string' }, 'log-level': { type: 'string' } }, USAGE);
  if (values.config === undefined) throw new CliError('USAGE', `--config is required\nusage: ${USAGE}`);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const configPath = resolve(io.cwd, values.config);
  const config = readConfig(configPath);
  const at = (p: string) => resolve(dirname(configPath), p);
  const genesis = loadGenesis(at(config.genesis));
  const seed = fileBytes(at(config.nodeKey), 'node key');
  if (seed.length !== 32) throw bad(configPath, `the node key file holds ${seed.length} bytes, not a 32-byte seed`);
  const nodeKey = Ed25519KeyPair.fromSeed(seed);
  if (config.index !== undefined) {
    const me = genesis.managers[config.index];
    if (me === undefined || !bytesEqual(me.key, nodeKey.publicKey.bytes)) {
      throw bad(configPath, `the node key is not genesis manager ${config.index}'s (its PeerId is ${peerIdOf(nodeKey)})`);
    }
  }
  const logger = pino({ level: values['log-level'] ?? config.logLevel ?? 'info' }, io.stderr);

  const host = createHost({ nodeKey, listen: config.listen ?? ['/ip4/127.0.0.1/tcp/0'], logger: logger.child({ mod: 'net' }) });
  await host.start();
  const closers: (() => Promise<void> | void)[] = [() => host.stop()];
  const stopAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    // Closed in reverse: the API first, then the server (which closes its stores).
    const server = managerServer({
      host,
      nodeKey,
      seed,
      ...(config.index === undefined ? {} : { index: config.index }),
      peers: config.peers,
      genesis,
      dataDir: at(config.dataDir),
      sync: config.sync === true,
      logger,
    });
    closers.push(() => server.stop());
    await server.start();
    const explorer = await startExplorer(server, genesis, {
      ...(config.http?.host === undefined ? {} : { host: config.http.host }),
      ...(config.http?.port === undefined ? {} : { port: config.http.port }),
      logger,
    });
    closers.push(() => explorer.close());
    io.stdout.write(
      [
        `manager ${config.index ?? peerIdOf(nodeKey)} of chain ${toHex(genesisId(genesis))} (${genesis.chainName})`,
        `peer ${host.id} on ${host.peer.addrs.join(' ')}`,
        `explorer ${explorer.url}`,
        'ready',
        '',
      ].join('\n'),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.stdout.write('stopping\n');
  await stopAll();
  io.stdout.write('stopped\n');
  return 0;
}
