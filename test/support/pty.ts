/**
 * A real pseudo-terminal for tests of interactive commands: util-linux `script` runs the command on a new PTY
 * and relays our stdin to it, so the program sees isatty() true, raw mode works and echo is the terminal's.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtySession {
  /** Resolves with everything seen so far once `pattern` appears in the terminal output. */
  expect(pattern: RegExp, timeoutMs?: number): Promise<string>;
  send(text: string): void;
  /** Resolves with the exit code. */
  exit(): Promise<number | null>;
  output(): string;
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function spawnPty(argv: string[], env: Record<string, string | undefined>, cwd: string): PtySession {
  const child: ChildProcess = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], {
    cwd,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    expect(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`timed out waiting for ${pattern}; terminal showed:\n${out}`));
        }, timeoutMs);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            resolve(out);
          } else waiters.push(check);
        };
        check();
      });
    },
    send(text) {
      child.stdin!.write(text);
    },
    exit: () => exited,
    output: () => out,
  };
}
