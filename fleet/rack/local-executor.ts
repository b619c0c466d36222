/**
 * An executor for hosts on this machine: files are written to the local file system, processes are spawned
 * detached, inside the host's network namespace when `target` names one (`ip netns exec NS …` execs the command, so
 * the pid is the server's own). Used by the tests' six-namespace rack and for a single-machine lab rack.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RackError } from './errors.ts';
import type { HostExecutor, RackHost, RackSignal } from './executor.ts';

/** The state letter of /proc/PID/stat (R, S, D, Z, …), or undefined when there is no such process. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function failed(host: RackHost, what: string, cause: unknown): RackError {
  return new RackError('EXECUTOR_FAILED', `${host.name}: ${what}: ${(cause as Error).message}`, { cause });
}

export function createLocalExecutor(): HostExecutor {
  return {
    put(host, path, bytes, mode) {
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, bytes, { mode });
        chmodSync(path, mode);
      } catch (cause) {
        throw failed(host, `cannot write ${path}`, cause);
      }
      return Promise.resolve();
    },
    launch(host, argv, logFile) {
      const command = host.target === undefined ? [...argv] : ['ip', 'netns', 'exec', host.target, ...argv];
      return new Promise((resolve, reject) => {
        let log: number;
        try {
          mkdirSync(dirname(logFile), { recursive: true });
          log = openSync(logFile, 'a');
        } catch (cause) {
          reject(failed(host, `cannot open ${logFile}`, cause));
          return;
        }
        const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', log, log] });
        child.once('error', (cause) => {
          closeSync(log);
          reject(failed(host, `cannot start ${command[0]}`, cause));
        });
        child.once('spawn', () => {
          closeSync(log);
          child.unref();
          resolve(child.pid!);
        });
      });
    },
    signal(_host, pid, signal: RackSignal) {
      const state = procState(pid);
      if (state === undefined || state === 'Z') return Promise.resolve(false);
      try {
        process.kill(pid, signal);
        return Promise.resolve(true);
      } catch {
        return Promise.resolve(false);
      }
    },
    alive(_host, pid) {
      const state = procState(pid);
      return Promise.resolve(state !== undefined && state !== 'Z' && state !== 'X');
    },
  };
}
