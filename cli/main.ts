/**
 * The `ame` command: one CLI with a subcommand per role and tool. This is the composition root of the CLI;
 * each command module receives a CliIO and its arguments and nothing else.
 */
import { readFileSync } from 'node:fs';
import { AmeError } from '../node/crypto/errors.ts';
import { CliError, exitCodeOf } from './errors.ts';
import { processIO, type CliIO } from './io.ts';

export type Command = (args: string[], io: CliIO) => Promise<number>;

/**
 * A command loaded when it runs: each pulls in its own part of the stack (libp2p, SQLite, the ledger), and a
 * device agent restarting after a power cut should not pay for loading the manager's and the wallet's.
 */
function lazy<N extends string>(load: () => Promise<Record<N, Command>>, name: N): Command {
  return async (args, io) => (await load())[name](args, io);
}

interface Entry {
  run: Command;
  summary: string;
}

const commands: Record<string, Entry> = {
  chain: { run: lazy(() => import('./commands/chain.ts'), 'chain'), summary: 'read the final chain from a manager\'s explorer API: head, blocks, transactions' },
  channel: { run: lazy(() => import('./commands/channel.ts'), 'channel'), summary: 'open, inspect and close the payment channels a client pays workers from' },
  client: { run: lazy(() => import('./commands/client.ts'), 'client'), summary: 'store and fetch blobs, send and read end-to-end encrypted messages through a worker' },
  device: { run: lazy(() => import('./commands/device.ts'), 'device'), summary: 'run the device agent: a temporary worker with its LED, button, console, watchdog and dashboard' },
  fleet: { run: lazy(() => import('./commands/fleet.ts'), 'fleet'), summary: 'the fleet controller: devices, signed releases, staged rollouts with automatic rollback, rack Unities' },
  manager: { run: lazy(() => import('./commands/manager.ts'), 'manager'), summary: 'run one Manager Ring server with its explorer API' },
  ring: { run: lazy(() => import('./commands/ring.ts'), 'ring'), summary: 'look up keys, read and write values and show routing slices of the Worker Ring' },
  up: { run: lazy(() => import('./commands/up.ts'), 'up'), summary: 'run the local network on this machine: the Manager Ring, its explorer and the Worker Ring' },
  store: { run: lazy(() => import('./commands/store.ts'), 'store'), summary: 'statistics, verification and garbage collection of a node\'s storage' },
  wallet: { run: lazy(() => import('./commands/wallet.ts'), 'wallet'), summary: 'create, show, back up and restore wallets; sign and verify files; verified balance, transfers' },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, e]) => `  ${name.padEnd(width)}  ${e.summary}`);
  return [
    'usage: ame <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'options:',
    '  --help, -h     this help (also: ame <command> --help)',
    '  --version, -v  print the version',
    '',
    'Every command and option is described in docs/cli.md.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(help());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`ame ${version()} (node ${process.versions.node})\n`);
    return 0;
  }
  const entry = commands[first];
  try {
    if (entry === undefined) throw new CliError('USAGE', `unknown command "${first}" (see ame --help)`);
    return await entry.run(rest, io);
  } catch (error) {
    if (error instanceof AmeError) {
      io.stderr.write(`ame: ${error.message}\n`);
      return exitCodeOf(error);
    }
    throw error;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), processIO());
}
