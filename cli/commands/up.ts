/**
 * `ame up`: the local network on this machine — today the Worker Ring: the ring authority and U Unities of S
 * servers, each a libp2p host on 127.0.0.1 with its replicas in DIR/sN/ring/values.sqlite. Identities live in
 * DIR/local.json, so a restart keeps every PeerId and every stored value. Runs until SIGINT or SIGTERM.
 * The Manager Ring, devices and the explorer join this command as their issues land (issue 9).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Ed25519KeyPair } from '../../node/crypto/index.ts';
import { genesisMap } from '../../node/ring/genesis.ts';
import { startHost, startRingAuthorityNode, startRingServerNode } from '../../node/ring/service/ring-host.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

const USAGE = `ame up [--data DIR] [--unities N] [--servers-per-unity S] [--log-level LEVEL]
  runs the local network (today: the ring authority and N × S Worker Ring servers on 127.0.0.1)
  --data DIR              where identities and data live (default .ame/local)
  --unities N             Unities at first start (default 3)
  --servers-per-unity S   servers per Unity at first start (default 6, the minimum of SPEC §5)`;

const OPTIONS = {
  data: { type: 'string' },
  unities: { type: 'string' },
  'servers-per-unity': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

interface LocalConfig {
  readonly authority: string;
  readonly authorityNode: string;
  readonly servers: readonly string[];
  readonly unities: number;
}

function count(text: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError('USAGE', `--${name} must be an integer ${min}…${max}`);
  return n;
}

const seedHex = () => Buffer.from(Ed25519KeyPair.generate().seed()).toString('hex');
const keyOf = (hex: string) => Ed25519KeyPair.fromSeed(Uint8Array.from(Buffer.from(hex, 'hex')));

function loadOrCreate(dir: string, unities: number, perUnity: number): LocalConfig {
  const path = join(dir, 'local.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as LocalConfig;
  const config: LocalConfig = {
    authority: seedHex(),
    authorityNode: seedHex(),
    servers: Array.from({ length: unities * perUnity }, seedHex),
    unities,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return config;
}

export async function up(args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  const { values, positionals } = parse(args, OPTIONS, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const dir = resolve(io.cwd, values.data ?? '.ame/local');
  const unities = count(values.unities, 3, 'unities', 1, 64);
  const perUnity = count(values['servers-per-unity'], 6, 'servers-per-unity', 1, 32);
  const config = loadOrCreate(dir, unities, perUnity);
  const logger = pino({ level: values['log-level'] ?? 'warn' }, io.stderr);
  const listen = ['/ip4/127.0.0.1/tcp/0'];
  // Every node here dials from 127.0.0.1: lift the per-address inbound limit meant for the open internet.
  const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 512 };

  const hosts = await Promise.all(config.servers.map((seed) => startHost(keyOf(seed), listen, logger, connections)));
  const authorityKey = keyOf(config.authority);
  const genesis = genesisMap({ unities: config.unities, servers: hosts.map((h) => h.peer), epoch: 1n });
  const authority = await startRingAuthorityNode({
    key: authorityKey,
    nodeKey: keyOf(config.authorityNode),
    genesis,
    dataDir: join(dir, 'authority'),
    listen,
    connections,
    logger,
  });
  const managers = () => [authority.host.peer];
  const nodes = await Promise.all(
    hosts.map((host, i) =>
      startRingServerNode({
        nodeKey: keyOf(config.servers[i]!),
        host,
        dataDir: join(dir, `s${i}`),
        authority: authorityKey.publicKey.bytes,
        managers,
        connections,
        logger,
      }),
    ),
  );
  await Promise.all(nodes.map((n) => n.server.ready()));
  io.stdout.write(
    [
      `Worker Ring up: ${config.unities} Unities, ${nodes.length} servers, epoch ${genesis.epoch} (data in ${dir})`,
      `ring authority ${authority.host.id}`,
      `try: npx ame ring put - hello --data ${join(dir, 's0')}`,
      `     npx ame ring lookup hello --data ${join(dir, 's1')}`,
      'ready',
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.stdout.write('stopping\n');
  await Promise.all(nodes.map((n) => n.stop()));
  await authority.stop();
  return 0;
}
