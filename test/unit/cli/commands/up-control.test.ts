/**
 * `ame up`'s terminal commands: `kill manager N` (never 0, never past the last, once), `kill device N` (SIGKILL to
 * that process, once), `help`, and a plain answer to anything else — over a real stream, in the order typed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_HELP, runControl, startUpControl, type UpControlTargets } from '../../../../cli/commands/up-control.ts';
import type { UpDevice } from '../../../../cli/commands/up-devices.ts';
import { eventually } from '../../../support/wait.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function targets(deviceCount = 0): UpControlTargets & { killed: number[] } {
  const killed: number[] = [];
  const devices: UpDevice[] = Array.from({ length: deviceCount }, (_, i) => {
    const child = spawn('sleep', ['60']);
    children.push(child);
    return { dir: `d${i}`, child, info: undefined, state: 'serving' };
  });
  return {
    killed,
    managers: 6,
    killManager: async (i) => {
      killed.push(i);
    },
    managerKilled: (i) => killed.includes(i),
    devices,
  };
}

describe('ame up terminal commands', () => {
  it('kills a manager other than 0 once, and refuses 0, one past the last and a second kill', async () => {
    const t = targets();
    expect(await runControl('kill manager 3', t)).toBe('killed manager 3');
    expect(t.killed).toEqual([3]);
    expect(await runControl('  kill   manager 3 ', t)).toBe('manager 3 is already killed');
    expect(await runControl('kill manager 0', t)).toContain('manager 0 serves the explorer');
    expect(await runControl('kill manager 6', t)).toBe('no manager 6: there are 6 (0…5)');
    expect(t.killed).toEqual([3]);
  });

  it('SIGKILLs a device process once, and names a device that is not there', async () => {
    const t = targets(2);
    const child = t.devices[1]!.child;
    expect(await runControl('kill device 1', t)).toBe(`killed device d1 (pid ${child.pid})`);
    await eventually('the device gone', () => (child.signalCode === 'SIGKILL' ? true : undefined));
    expect(await runControl('kill device 1', t)).toBe('device d1 has already exited');
    expect(await runControl('kill device 2', t)).toBe('no device 2: there are 2');
    expect(t.devices[0]!.child.signalCode).toBeNull();
  });

  it('answers help, ignores blank lines and names anything else as not a command', async () => {
    const t = targets();
    expect(await runControl('help', t)).toBe(CONTROL_HELP);
    expect(await runControl('   ', t)).toBeUndefined();
    for (const line of ['kill', 'kill manager', 'kill manager x', 'kill manager -1', 'kill server 1', 'kill manager 1 now', 'rm -rf /']) {
      expect(await runControl(line, t), line).toMatch(/^not a command: /);
    }
    expect(t.killed).toEqual([]);
  });

  it('reads lines from a stream in order and answers each', async () => {
    const t = targets();
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (d: Buffer) => (out += d.toString()));
    const control = startUpControl(input, output, t);
    input.write('kill manager 2\nkill manager 2\nnonsense\n');
    await eventually('three answers', () => (out.split('\n').length > 3 ? true : undefined));
    expect(out).toBe('killed manager 2\nmanager 2 is already killed\nnot a command: "nonsense" (' + CONTROL_HELP + ')\n');
    control.stop();
  });
});
