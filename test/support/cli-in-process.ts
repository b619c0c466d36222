/** Runs the real CLI (cli/main.ts) in the test's own process with a captured CliIO: fast, for commands that do not own a server. */
import { tmpdir } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import type { CliIO } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

export interface InProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function ameInProcess(args: readonly string[], options: { readonly cwd?: string; readonly env?: Record<string, string> } = {}): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const cwd = options.cwd ?? tmpdir();
  const io: CliIO = { stdout, stderr, stdin: Readable.from([]), env: { HOME: cwd, ...options.env }, cwd, now: () => Date.now() };
  const code = await main([...args], io);
  return { code, stdout: out, stderr: err };
}
