/** The subcommand dispatcher: runs the named action with the rest of the arguments, usage on none or --help. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../cli/errors.ts';
import type { CliIO } from '../../../cli/io.ts';
import { dispatch } from '../../../cli/subcommands.ts';

function io(): { io: CliIO; out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const value: CliIO = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: '/', now: () => 0 };
  return { io: value, out: () => text };
}

describe('dispatch', () => {
  const seen: string[][] = [];
  const actions = {
    open: async (args: string[]) => {
      seen.push(args);
      return 7;
    },
  };

  it('runs the named action with the remaining arguments and returns its exit code', async () => {
    const t = io();
    expect(await dispatch('channel', 'ame channel open', actions, ['open', '--x', '1'], t.io)).toBe(7);
    expect(seen.at(-1)).toEqual(['--x', '1']);
  });

  it('prints the usage: exit 2 without a subcommand, 0 with --help', async () => {
    const none = io();
    expect(await dispatch('channel', 'ame channel open', actions, [], none.io)).toBe(2);
    expect(none.out()).toBe('usage: ame channel open\n');
    const help = io();
    expect(await dispatch('channel', 'ame channel open', actions, ['--help'], help.io)).toBe(0);
  });

  it('refuses an unknown subcommand, and names inherited from Object, with USAGE', () => {
    for (const sub of ['nope', 'toString', '__proto__']) {
      expect(() => dispatch('channel', 'u', actions, [sub], io().io)).toThrow(CliError);
    }
  });
});
