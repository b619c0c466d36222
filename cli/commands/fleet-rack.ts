/**
 * `ame fleet rack …`: a Manager Ring Unity on six hosts (fleet/rack, docs/fleet-rack.md). `provision` makes the
 * secrets and genesis, writes every host's files and starts its server, then waits until the Unity finalises (with
 * `--join`, the six join an existing rack's ring instead);
 * `status` shows each server's head and role holder; `stop` / `start` stop and restart the servers; `upgrade`
 * moves them to another `ame` command one at a time, never below quorum.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  createLocalExecutor,
  createSshExecutor,
  DEFAULT_HTTP_PORT,
  DEFAULT_P2P_PORT,
  DEFAULT_ROOT,
  holderOf,
  joinRack,
  parseHosts,
  provisionRack,
  rackLayout,
  rackStatus,
  RackError,
  readRecord,
  startRack,
  stopRack,
  upgradeRack,
  type RackDeps,
  type RackPlan,
  type RackStatus,
} from '../../fleet/rack/index.ts';
import { numberOption, oneOf, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { dispatch } from '../subcommands.ts';
import { PARAM_PRESETS } from './up-config.ts';

const USAGE = `ame fleet rack provision --hosts FILE --dir DIR [--executor ssh|local] [--command CMD] [--chain NAME]
                           [--params default|demo|quick] [--p2p-port P] [--http-port P] [--root PATH] [--timeout S]
       ame fleet rack provision --hosts FILE --dir DIR --join EXISTING_DIR [--executor ssh|local] [--command CMD]
                           [--p2p-port P] [--http-port P] [--root PATH] [--timeout S]
       ame fleet rack status --dir DIR [--json]
       ame fleet rack stop|start --dir DIR
       ame fleet rack upgrade --dir DIR --command CMD [--timeout S]
  FILE: JSON list of six {"name", "address", "target"?}; host i holds role i (5: the standby)`;

function commandOf(text: string | undefined, fallback: readonly string[]): readonly string[] {
  if (text === undefined) return fallback;
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) throw new CliError('USAGE', '--command must name a program');
  return words;
}

function port(name: string, text: string | undefined, fallback: number): number {
  return numberOption(name, text, fallback, (n) => Number.isSafeInteger(n) && n >= 1 && n <= 65535, 'a port 1…65535');
}

function seconds(text: string | undefined, fallback: number): number {
  return numberOption('timeout', text, fallback / 1000, (n) => Number.isFinite(n) && n > 0, 'seconds > 0') * 1000;
}

function deps(executor: RackPlan['executor'], io: CliIO): RackDeps {
  return {
    executor: executor === 'ssh' ? createSshExecutor() : createLocalExecutor(),
    fetch: (url, init) => fetch(url, init),
    random: (n) => new Uint8Array(randomBytes(n)),
    now: () => Date.now(),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    progress: (line) => io.stdout.write(`${line}\n`),
  };
}

function dirOf(values: { dir?: string | undefined }, io: CliIO): string {
  if (values.dir === undefined) throw new CliError('USAGE', `--dir is required\nusage: ${USAGE}`);
  return resolve(io.cwd, values.dir);
}

function statusLines(status: RackStatus): string[] {
  const lines = status.servers.map((s) => {
    const holder = holderOf(status, s.role);
    const held = holder === undefined ? '' : holder.state === 'own' ? '' : holder.state === 'vacant' ? ' (role vacant)' : ` (role held by member ${holder.holder})`;
    return `  role ${s.role} ${s.name.padEnd(12)} ${s.reachable ? `height ${s.height}` : `down: ${s.error ?? 'no answer'}`}${held}`;
  });
  return [`${status.reachable} of ${status.servers.length} servers answer, height ${status.height}, ${status.quorum ? 'quorum' : 'NO QUORUM'}`, ...lines];
}

async function provision(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(
    args,
    {
      hosts: { type: 'string' },
      dir: { type: 'string' },
      executor: { type: 'string' },
      command: { type: 'string' },
      chain: { type: 'string' },
      params: { type: 'string' },
      'p2p-port': { type: 'string' },
      'http-port': { type: 'string' },
      root: { type: 'string' },
      timeout: { type: 'string' },
      join: { type: 'string' },
    },
    USAGE,
  );
  const dir = dirOf(values, io);
  // A joined rack takes the chain's name and parameters from the existing genesis.
  if (values.join !== undefined && (values.chain !== undefined || values.params !== undefined)) {
    throw new CliError('USAGE', `--chain and --params name a new chain; with --join the existing genesis decides them\nusage: ${USAGE}`);
  }
  if (values.hosts === undefined) throw new CliError('USAGE', `--hosts is required\nusage: ${USAGE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(io.cwd, values.hosts), 'utf8'));
  } catch (cause) {
    throw new RackError('BAD_HOSTS', `cannot read the hosts file ${values.hosts}: ${(cause as Error).message}`, { cause });
  }
  const executor = oneOf('executor', values.executor, ['ssh', 'local'] as const, 'ssh');
  const plan: RackPlan = {
    chainName: values.chain ?? 'ame-rack',
    hosts: parseHosts(raw),
    p2pPort: port('p2p-port', values['p2p-port'], DEFAULT_P2P_PORT),
    httpPort: port('http-port', values['http-port'], DEFAULT_HTTP_PORT),
    root: values.root ?? DEFAULT_ROOT,
    command: commandOf(values.command, ['ame']),
    executor,
  };
  const timeoutMs = seconds(values.timeout, 90_000);
  if (values.join !== undefined) {
    const existing = resolve(io.cwd, values.join);
    const status = await joinRack(dir, plan, existing, deps(executor, io), { timeoutMs });
    io.stdout.write(`${statusLines(status).join('\n')}\nrack joined the ring of ${existing}: ${dir}/rack.json holds its secrets (keep it safe)\n`);
    return 0;
  }
  const preset = oneOf('params', values.params, ['default', 'demo', 'quick'] as const, 'default');
  const status = await provisionRack(dir, plan, deps(executor, io), { params: PARAM_PRESETS[preset], timeoutMs });
  io.stdout.write(`${statusLines(status).join('\n')}\nrack provisioned: ${dir}/rack.json holds its secrets (keep it safe)\n`);
  return 0;
}

async function status(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { dir: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  const dir = dirOf(values, io);
  const record = readRecord(dir);
  const result = await rackStatus(rackLayout(dir, record), (url, init) => fetch(url, init));
  if (values.json === true) {
    const servers = result.servers.map((s, i) => ({ ...s, pid: record.servers[i]!.pid, command: record.servers[i]!.command }));
    io.stdout.write(`${JSON.stringify({ chainId: record.chainId, height: result.height, reachable: result.reachable, quorum: result.quorum, servers })}\n`);
  } else {
    io.stdout.write(`${[`chain ${record.chainId} (${record.plan.chainName})`, ...statusLines(result)].join('\n')}\n`);
  }
  return result.quorum ? 0 : 1;
}

async function stop(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { dir: { type: 'string' } }, USAGE);
  const dir = dirOf(values, io);
  await stopRack(dir, deps(readRecord(dir).plan.executor, io));
  return 0;
}

async function start(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { dir: { type: 'string' } }, USAGE);
  const dir = dirOf(values, io);
  await startRack(dir, deps(readRecord(dir).plan.executor, io));
  return 0;
}

async function upgrade(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { dir: { type: 'string' }, command: { type: 'string' }, timeout: { type: 'string' } }, USAGE);
  const dir = dirOf(values, io);
  if (values.command === undefined) throw new CliError('USAGE', `--command is required\nusage: ${USAGE}`);
  const upgraded = await upgradeRack(dir, commandOf(values.command, []), deps(readRecord(dir).plan.executor, io), { timeoutMs: seconds(values.timeout, 90_000) });
  io.stdout.write(upgraded.length === 0 ? 'every server already runs that command\n' : `upgraded ${upgraded.join(', ')}\n`);
  return 0;
}

export function rack(args: string[], io: CliIO): Promise<number> {
  return dispatch('fleet rack', USAGE, { provision, status, stop, start, upgrade }, args, io);
}
