/**
 * An executor for a real rack: every action is one `ssh TARGET 'command'` (BatchMode: keys only, never a password
 * prompt), the remote command built from single-quoted words so no path or argument is ever interpreted by the
 * remote shell. Files travel on ssh's stdin. `ssh` is configurable, which is how the tests run the same command
 * strings through a local stand-in that executes them with `sh -c`.
 */
import { spawn } from 'node:child_process';
import { RackError } from './errors.ts';
import type { HostExecutor, RackHost, RackSignal } from './executor.ts';

export interface SshExecutorOptions {
  /** The ssh program and its options before the destination (default `ssh -o BatchMode=yes`). */
  readonly ssh?: readonly string[];
}

/** One shell word that the remote `sh` reads back as exactly `text`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(ssh: readonly string[], host: RackHost, script: string, input?: Uint8Array): Promise<Result> {
  if (host.target === undefined) throw new RackError('BAD_HOSTS', `${host.name}: no SSH destination ("target") to reach it`);
  return new Promise((resolve, reject) => {
    const child = spawn(ssh[0]!, [...ssh.slice(1), host.target!, '--', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (cause) => reject(new RackError('EXECUTOR_FAILED', `${host.name}: cannot run ${ssh[0]}: ${cause.message}`, { cause })));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

function check(host: RackHost, what: string, result: Result): Result {
  if (result.code !== 0) throw new RackError('EXECUTOR_FAILED', `${host.name}: ${what} failed (exit ${result.code}): ${result.stderr.trim().slice(-500)}`);
  return result;
}

/**
 * A shell test that holds while `pid` runs: a zombie (state Z, exited but not reaped) does not count; the state
 * letter follows the last ')' of /proc/PID/stat.
 */
const running = (pid: number) => `s=$(sed 's/.*) //' /proc/${pid}/stat 2>/dev/null | cut -c1) && [ -n "$s" ] && [ "$s" != Z ]`;

const dirOf = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf('/')));

export function createSshExecutor(options: SshExecutorOptions = {}): HostExecutor {
  const ssh = options.ssh ?? ['ssh', '-o', 'BatchMode=yes'];
  return {
    async put(host, path, bytes, mode) {
      const tmp = `${path}.part`;
      const q = shellQuote;
      const script = `umask 077 && mkdir -p ${q(dirOf(path))} && cat > ${q(tmp)} && chmod ${mode.toString(8)} ${q(tmp)} && mv -f ${q(tmp)} ${q(path)}`;
      check(host, `writing ${path}`, await run(ssh, host, script, bytes));
    },
    async launch(host, argv, logFile) {
      const command = argv.map(shellQuote).join(' ');
      const log = shellQuote(logFile);
      const script = `mkdir -p ${shellQuote(dirOf(logFile))} && cd / && { nohup ${command} >> ${log} 2>&1 < /dev/null & echo $!; }`;
      const { stdout } = check(host, `starting ${argv[0]}`, await run(ssh, host, script));
      const pid = Number(stdout.trim());
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new RackError('EXECUTOR_FAILED', `${host.name}: starting ${argv[0]} printed no pid ("${stdout.trim()}")`);
      return pid;
    },
    async signal(host, pid, signal: RackSignal) {
      return (await run(ssh, host, `${running(pid)} && kill -${signal.slice(3)} ${pid} 2>/dev/null`)).code === 0;
    },
    async alive(host, pid) {
      return (await run(ssh, host, running(pid))).code === 0;
    },
  };
}
