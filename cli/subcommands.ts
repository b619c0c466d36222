/** The `ame <command> <subcommand> …` shape shared by the commands that group several actions. */
import { CliError } from './errors.ts';
import type { CliIO } from './io.ts';

export type Action = (args: string[], io: CliIO) => Promise<number>;

/** Runs the named action; no name prints the usage (exit 2), --help prints it (exit 0), an unknown one is USAGE. */
export function dispatch(command: string, usage: string, actions: Readonly<Record<string, Action>>, args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`usage: ${usage}\n`);
    return Promise.resolve(sub === undefined ? 2 : 0);
  }
  const action = Object.hasOwn(actions, sub) ? actions[sub] : undefined;
  if (action === undefined) throw new CliError('USAGE', `unknown ${command} command "${sub}"\nusage: ${usage}`);
  return action(rest, io);
}
