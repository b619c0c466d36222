/** Runs the real `ame` CLI as a child process (the Node running the tests, which is Node 24). */
import { type ChildProcess, spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
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

export interface Up {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
  /** The explorer API's URL, as printed. */
  readonly url: string;
  /** Seconds from the spawn to "ready". */
  readonly readyAfterS: number;
}

/**
 * Starts `ame up <args>` as a child process (pushed onto `children`, for the caller to reap) and resolves once it
 * printed "ready", with the explorer URL it printed.
 */
export function startUp(args: readonly string[], children: ChildProcess[], options: { stdin?: 'pipe'; readyMs?: number } = {}): Promise<Up> {
  const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
  const spawned = Date.now();
  const child = spawn(process.execPath, [main, 'up', ...args], { cwd: repoRoot, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const readyMs = options.readyMs ?? 60_000;
    const timer = setTimeout(() => reject(new Error(`ame up not ready after ${readyMs / 1000} s:\n${out}`)), readyMs);
    child.stdout!.on('data', () => {
      if (!/^ready$/m.test(out)) return;
      clearTimeout(timer);
      const url = /^explorer (http:\S+)$/m.exec(out)?.[1];
      if (url === undefined) reject(new Error(`no explorer URL in:\n${out}`));
      else resolve({ child, output: () => out, exit, url, readyAfterS: (Date.now() - spawned) / 1000 });
    });
    void exit.then((code) => reject(new Error(`ame up exited with ${code}:\n${out}`)));
  });
}

export interface DeviceProcess {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  /** Waits for a line of its standard output matching `re` (throws with the output when it exits or times out). */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  readonly output: () => string;
}

export interface DeviceSpawnOptions {
  /** The CLI to run instead of this repository's with the test's Node (e.g. a release bundle's, under an emulator). */
  readonly cli?: readonly string[];
  /** Its own process group, so that the caller can signal everything it started (`process.kill(-pid)`). */
  readonly detached?: boolean;
}

/**
 * Starts `ame device <args>` as a child process (pushed onto `children`, for the caller to reap). `prefix` runs it
 * through another command that execs it (e.g. `ip netns exec NS`), so the child is still the node process.
 */
export function startDevice(
  args: readonly string[],
  children: ChildProcess[],
  env: Record<string, string | undefined> = {},
  prefix: readonly string[] = [],
  options: DeviceSpawnOptions = {},
): DeviceProcess {
  const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
  const command = [...prefix, ...(options.cli ?? [process.execPath, main]), 'device', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = async (re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = out.split('\n').map((l) => re.exec(l)).find((m) => m !== null);
      if (found) return found;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no line ${re} from ame device:\n${out}\n${err.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { child, exit, line, output: () => out };
}

/**
 * `ame <args>` run in this process (the CLI's `main` with captured output), with HOME and the working directory
 * at `dir`: for the steps of an e2e test that need no process of their own.
 */
export function ameIn(dir: string): (...args: string[]) => Promise<CliRun> {
  return async (...args) => {
    const { main } = await import('../../cli/main.ts');
    let out = '';
    let err = '';
    const stdout = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
    const stderr = new Writable({ write: (chunk: Buffer, _enc, done) => ((err += chunk.toString()), done()) });
    const code = await main(args, { stdout, stderr, stdin: Readable.from([]), env: { HOME: dir }, cwd: dir, now: () => Date.now() });
    return { code, stdout: out, stderr: err };
  };
}
