/**
 * `ame up`'s terminal commands, one per line typed while it runs (docs/cli.md "ame up"): `kill manager N` stops
 * manager N at once, as a crash would (its consensus stops mid-round, its connections drop; manager 0 serves the
 * explorer and the local tools, so it stays); `kill device N` sends SIGKILL to device process dN; `help` lists them.
 * They let a user watch the network ride out a failure on the explorer. Anything else is answered, never fatal.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { UpDevice } from './up-devices.ts';

export interface UpControlTargets {
  /** How many managers run (indices 0…count−1). */
  readonly managers: number;
  killManager(index: number): Promise<void>;
  managerKilled(index: number): boolean;
  readonly devices: readonly UpDevice[];
}

export const CONTROL_HELP = 'commands: kill manager N (1…M−1), kill device N, help';

/** What one line does; the answer to print. */
export async function runControl(line: string, t: UpControlTargets): Promise<string | undefined> {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return undefined;
  if (words.length === 1 && words[0] === 'help') return CONTROL_HELP;
  const [verb, what, n] = words;
  const index = n !== undefined && /^\d{1,3}$/.test(n) ? Number(n) : undefined;
  if (verb !== 'kill' || (what !== 'manager' && what !== 'device') || index === undefined || words.length !== 3) {
    return `not a command: ${JSON.stringify(line.trim().slice(0, 80))} (${CONTROL_HELP})`;
  }
  if (what === 'manager') {
    if (index === 0) return 'manager 0 serves the explorer and the local tools: kill another (1…' + (t.managers - 1) + ')';
    if (index >= t.managers) return `no manager ${index}: there are ${t.managers} (0…${t.managers - 1})`;
    if (t.managerKilled(index)) return `manager ${index} is already killed`;
    await t.killManager(index);
    return `killed manager ${index}`;
  }
  const device = t.devices[index];
  if (device === undefined) return `no device ${index}: there are ${t.devices.length}`;
  if (device.child.exitCode !== null || device.child.signalCode !== null) return `device d${index} has already exited`;
  const pid = device.child.pid;
  device.child.kill('SIGKILL');
  return `killed device d${index} (pid ${pid})`;
}

/** Reads commands from `input` until stopped; one at a time, in order. */
export function startUpControl(input: Readable, output: Writable, targets: UpControlTargets): { stop(): void } {
  const lines = createInterface({ input, terminal: false });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue
      .then(() => runControl(line, targets))
      .then((answer) => {
        if (answer !== undefined) output.write(`${answer}\n`);
      })
      .catch((error: unknown) => {
        output.write(`command failed: ${(error as Error).message}\n`);
      });
  });
  return {
    stop: () => {
      lines.close();
      // A paused stdin no longer holds the event loop open once the command returns.
      input.pause();
    },
  };
}
