/**
 * Mosquitto (from Debian) as a child process for interoperability tests. It cannot listen on port 0, so a free
 * port is found by binding one and closing it, and a start that loses the port to someone else is retried on
 * another. The test waits for mosquitto's own "running" log line, not for a fixed time. A missing mosquitto is a
 * failure with instructions, never a silent skip: CI installs it (.ci/run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  /** Kills mosquitto (SIGKILL if SIGTERM is not enough) and waits until it is reaped; idempotent. */
  stop(): Promise<void>;
}

const BINARIES = ['/usr/sbin/mosquitto', 'mosquitto'];

function findMosquitto(): string {
  for (const bin of BINARIES) {
    const probe = spawnSync(bin, ['-h'], { stdio: 'ignore' });
    if (probe.error === undefined) return bin;
  }
  throw new Error('mosquitto is not installed: `apt-get install -y mosquitto` (the CI script installs it)');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function reap(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface MosquittoOptions {
  /** Start attempts on other ports when the chosen one is taken (default 5). */
  readonly attempts?: number;
  /** Allow clients without credentials (default true). */
  readonly anonymous?: boolean;
  /** More lines for the config file (a plugin and its options, limits). */
  readonly config?: readonly string[];
}

/** Starts mosquitto on 127.0.0.1 and a free port, no persistence; anonymous access unless told otherwise. */
export async function startMosquitto(options: number | MosquittoOptions = 5): Promise<Mosquitto> {
  const { attempts = 5, anonymous = true, config: extra = [] } = typeof options === 'number' ? { attempts: options } : options;
  const bin = findMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'ame-mosquitto-'));
  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freePort();
    const config = join(dir, 'mosquitto.conf');
    writeFileSync(
      config,
      [
        `listener ${port} 127.0.0.1`,
        `allow_anonymous ${anonymous}`,
        'persistence false',
        'log_dest stderr',
        ...extra,
        '',
      ].join('\n'),
    );
    const child = spawn(bin, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      // Kept attached after start-up so mosquitto never blocks on a full pipe; only the start-up log is kept.
      // The log goes to stderr, which mosquitto does not buffer (its stdout is block-buffered into a pipe).
      const onData = (data: Buffer) => {
        if (settled) return;
        output += data.toString();
        if (/mosquitto version \S+ running/.test(output)) {
          settled = true;
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.once('error', (error) => {
        output += String(error);
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (started) {
      let stopped: Promise<void> | undefined;
      return {
        port,
        url: `mqtt://127.0.0.1:${port}`,
        stop: () =>
          (stopped ??= reap(child).then(() => rmSync(dir, { recursive: true, force: true }))),
      };
    }
    await reap(child);
    lastError = output;
    // Another process took the port between our probe and mosquitto's bind: try another one.
    if (!/Address already in use/i.test(output)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`mosquitto did not start: ${lastError.trim().slice(-500)}`);
}
