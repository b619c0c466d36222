/**
 * How the rack tools reach a host: write a file there, launch a long-running process detached from the caller (so
 * `ame fleet rack provision` can exit while the servers run), signal it, ask whether it still runs. Over SSH on a
 * real rack (ssh-executor.ts); on this machine, optionally inside a network namespace per host (local-executor.ts),
 * which is how the tests build a rack of six "hosts".
 */
export interface RackHost {
  /** The host's name in the rack (unique; used in folder names and logs). */
  readonly name: string;
  /** The IPv4 address the host's manager server listens on and the others dial. */
  readonly address: string;
  /** How the executor reaches it: an SSH destination (`user@host`), or a network namespace's name; default none. */
  readonly target?: string;
}

export type RackSignal = 'SIGTERM' | 'SIGKILL';

export interface HostExecutor {
  /** Writes `bytes` to `path` on the host (parent folders made), with `mode`. */
  put(host: RackHost, path: string, bytes: Uint8Array, mode: number): Promise<void>;
  /** Starts `argv` on the host detached from the caller, output appended to `logFile`; resolves with its pid. */
  launch(host: RackHost, argv: readonly string[], logFile: string): Promise<number>;
  /** Sends `signal` to the process; false when it was not running. */
  signal(host: RackHost, pid: number, signal: RackSignal): Promise<boolean>;
  /** True while the process runs (an exited process not yet reaped by its parent counts as exited). */
  alive(host: RackHost, pid: number): Promise<boolean>;
}
