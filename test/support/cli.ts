/** Runs the real `ame` CLI as a child process (the Node running the tests, which is Node 24). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const mainTs = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runAme(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; cwd?: string; command?: string[] } = {},
): Promise<CliRun> {
  const command = opts.command ?? [process.execPath, mainTs];
  const [bin, ...pre] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(bin!, [...pre, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
