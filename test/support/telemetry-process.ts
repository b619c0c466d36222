/** Runs telemetry-child.ts as a child process and waits on its output lines; every child is reaped by `kill`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toHex, type Ed25519KeyPair } from '../../node/crypto/index.ts';

const script = fileURLToPath(new URL('./telemetry-child.ts', import.meta.url));

export interface DeviceProcess {
  readonly child: ChildProcess;
  /** Resolves with the first output line (from the start) matching `pattern` that was not returned before. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  send(line: string): void;
  /** Kills with `signal` (default SIGKILL) and waits until the process is reaped; idempotent. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the child printed on stderr, for failure messages. */
  stderr(): string;
}

export function spawnDevice(config: {
  readonly url: string;
  readonly brokerId: string;
  readonly key: Ed25519KeyPair;
  readonly commandKey: Uint8Array;
  readonly storePath: string;
}): DeviceProcess {
  const arg = JSON.stringify({
    url: config.url,
    brokerId: config.brokerId,
    seed: toHex(config.key.seed()),
    commandKey: toHex(config.commandKey),
    storePath: config.storePath,
  });
  const child = spawn(process.execPath, [script, arg], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const used = new Set<number>();
  let partial = '';
  let err = '';
  let waiters: (() => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.once('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    async line(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = lines.findIndex((l, i) => !used.has(i) && pattern.test(l));
        if (at >= 0) {
          used.add(at);
          return lines[at]!;
        }
        const left = deadline - Date.now();
        if (left <= 0 || child.exitCode !== null || child.signalCode !== null) {
          const seen = `stdout: ${lines.join(' | ')}; stderr: ${err.slice(-1000)}`;
          throw new Error(`device process printed no line matching ${pattern}; ${seen}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      waiters = [];
    },
    stderr: () => err,
  };
}
