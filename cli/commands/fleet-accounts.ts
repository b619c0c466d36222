/**
 * `ame fleet admin add USER --role viewer|operator|admin [--data DIR]`: an account for the fleet's web console,
 * written straight into the controller's registry (DIR/registry.sqlite; SQLite lets it run beside `ame fleet run`).
 * The password is asked twice on a terminal, or read from standard input (its first line) when piped; the registry
 * keeps only its scrypt hash.
 */
import { join, resolve } from 'node:path';
import { ADMIN_ROLES, Registry, type AdminRole } from '../../fleet/registry/index.ts';
import { oneOf, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import { ask, interactive, readAll, type CliIO } from '../io.ts';
import { DEFAULT_FLEET_DIR } from './fleet-run.ts';

const USAGE = `ame fleet admin add USER --role viewer|operator|admin [--data DIR]
  a console account in the controller's registry (DIR, default ${DEFAULT_FLEET_DIR}); the password on a terminal, or the first line of stdin`;

async function password(io: CliIO): Promise<string> {
  if (!interactive(io)) return (await readAll(io.stdin)).split('\n')[0] ?? '';
  const first = await ask(io, 'password: ', true);
  if ((await ask(io, 'again: ', true)) !== first) throw new CliError('NOT_CONFIRMED', 'the two passwords differ');
  return first;
}

export async function admin(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add') throw new CliError('USAGE', `usage: ${USAGE}`);
  const { values, positionals } = parse(rest, { role: { type: 'string' }, data: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new CliError('USAGE', `admin add takes one USER\nusage: ${USAGE}`);
  if (values.role === undefined) throw new CliError('USAGE', `--role is required\nusage: ${USAGE}`);
  const role: AdminRole = oneOf('role', values.role, ADMIN_ROLES, 'viewer');
  const registry = Registry.open(join(resolve(io.cwd, values.data ?? DEFAULT_FLEET_DIR), 'registry.sqlite'));
  try {
    const account = registry.admins.create(positionals[0]!, await password(io), role, io.now());
    registry.audit.append('cli', 'admin.create', account.username, { role }, io.now());
    io.stdout.write(`account ${account.username} (${account.role}) added\n`);
  } finally {
    registry.close();
  }
  return 0;
}
