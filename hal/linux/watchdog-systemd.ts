/**
 * The systemd service watchdog (WatchdogSec= in the unit). sd_notify is a datagram on the unix socket named by
 * NOTIFY_SOCKET, and Node cannot send unix datagrams without a native addon, so each kick runs `systemd-notify
 * WATCHDOG=1`. systemd accepts a notification from a process other than the main one only with NotifyAccess=all
 * in the unit (image/ sets it); systemd-notify waits for systemd to have read the datagram (its barrier), so the
 * short-lived sender's cgroup can still be checked.
 */
import { spawn } from 'node:child_process';
import { HalError } from '../errors.ts';
import type { WatchdogPort } from '../ports.ts';

/** Runs argv with env and resolves with the exit code (injected in tests). */
export type CommandRunner = (argv: readonly string[], env: Readonly<Record<string, string | undefined>>) => Promise<number>;

export const spawnRunner: CommandRunner = (argv, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? -1));
  });

export interface SystemdWatchdogRequest {
  readonly notifySocket: string;
  readonly timeoutMs: number;
}

/**
 * What systemd asked for, from the environment it gives the service (sd_watchdog_enabled semantics): NOTIFY_SOCKET
 * and WATCHDOG_USEC set, and WATCHDOG_PID absent or ours. Null when it asked for nothing.
 */
export function systemdWatchdogRequest(env: Readonly<Record<string, string | undefined>>, pid: number): SystemdWatchdogRequest | null {
  const socket = env['NOTIFY_SOCKET'];
  const usec = Number(env['WATCHDOG_USEC']);
  if (!socket || !Number.isInteger(usec) || usec <= 0) return null;
  const forPid = env['WATCHDOG_PID'];
  if (forPid !== undefined && forPid !== '' && Number(forPid) !== pid) return null;
  return { notifySocket: socket, timeoutMs: Math.floor(usec / 1000) };
}

export function createSystemdWatchdog(options: {
  request: SystemdWatchdogRequest;
  env: Readonly<Record<string, string | undefined>>;
  run?: CommandRunner;
  command?: string;
}): WatchdogPort {
  const run = options.run ?? spawnRunner;
  const command = options.command ?? 'systemd-notify';
  const env = { ...options.env, NOTIFY_SOCKET: options.request.notifySocket };
  let started = false;

  const notify = async (assignment: string) => {
    let code: number;
    try {
      code = await run([command, assignment], env);
    } catch (error) {
      throw new HalError('WATCHDOG_IO', `${command} could not be run: ${(error as Error).message}`, { cause: error });
    }
    if (code !== 0) throw new HalError('WATCHDOG_IO', `${command} ${assignment} exited with ${code}`);
  };

  return {
    kind: 'systemd',
    timeoutMs: options.request.timeoutMs,
    async start() {
      started = true;
    },
    async kick() {
      if (!started) throw new HalError('NOT_STARTED', 'systemd watchdog not started');
      await notify('WATCHDOG=1');
    },
    async stop() {
      // systemd's watchdog cannot be disarmed by the service; stopping the unit ends it.
      started = false;
    },
  };
}
