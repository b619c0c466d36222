/**
 * A rollout on `ame up`'s own network, as a fleet admin tries one locally: the devices got the local fleet's first
 * roots on their boot folders, a release is pushed and rolled out with the admin CLI, each device's update agent
 * installs it, exits 75, and `ame up` — the devices' launcher — starts it again from the new slot's `bin/ame`; the
 * release is judged healthy there and the rollout ends done. The release's launcher is a shell script that says it
 * ran and then runs this checkout's CLI, so the test sees which release each device process came from.
 */
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RolloutProgress } from '../../../../fleet/rollout/index.ts';
import { buildBundle } from '../../../../node/update/index.ts';
import { ameIn, startUp } from '../../../support/cli.ts';
import { eventually } from '../../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-up-rollout-'));
const children: ChildProcess[] = [];
const MAIN = fileURLToPath(new URL('../../../../cli/main.ts', import.meta.url));
const DEVICES = 2;

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const closed = new Promise((done) => child.once('close', done));
    child.kill('SIGINT');
    await Promise.race([closed, new Promise((done) => setTimeout(done, 30_000))]);
    child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A release whose launcher prints where it runs from, then runs this checkout's CLI with the test's Node. */
async function release(version: string): Promise<string> {
  const app = join(dir, `release-${version}`);
  mkdirSync(join(app, 'bin'), { recursive: true });
  writeFileSync(
    join(app, 'bin', 'ame'),
    `#!/bin/sh\nhere=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)\necho "release ${version} launched from $here"\nexec "${process.execPath}" "${MAIN}" "$@"\n`,
  );
  chmodSync(join(app, 'bin', 'ame'), 0o755);
  const file = join(dir, `ame-${version}.tar.gz`);
  writeFileSync(file, (await buildBundle({ dir: app, name: 'ame', version, arch: 'x64' })).bytes);
  return file;
}

describe('a rollout on ame up’s devices', () => {
  it('installs on every device, restarts each from its new slot, and judges the release healthy', async () => {
    // A short judgement, from each device's first-boot file, as an owner would set it.
    for (let i = 0; i < DEVICES; i++) {
      mkdirSync(join(dir, 'net', 'devices', `d${i}`, 'boot'), { recursive: true });
      writeFileSync(join(dir, 'net', 'devices', `d${i}`, 'boot', 'ame.json'), JSON.stringify({ trial: { windowMs: 15_000, checks: 2 } }));
    }
    const net = join(dir, 'net');
    const up = await startUp(['--data', net, '--unities', '1', '--servers-per-unity', '3', '--managers', '1', '--devices', String(DEVICES), '--params', 'quick'], children, { readyMs: 120_000 });
    const fleetDir = join(net, 'fleet');
    for (let i = 0; i < DEVICES; i++) {
      expect(readFileSync(join(net, 'devices', `d${i}`, 'boot', 'fleet-root', 'image-root-1.cbor'))).toEqual(readFileSync(join(fleetDir, 'repository', 'image-root-1.cbor')));
    }
    const ame = ameIn(dir);
    const json = async <T,>(...args: string[]): Promise<T> => {
      const run = await ame(...args, '--fleet', fleetDir, '--json');
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as T;
    };
    await eventually('both devices online in the registry and serving', async () => {
      const registry = await json<{ devices: { online: boolean }[] }>('fleet', 'devices');
      const fleet = (await (await fetch(`${up.url}/api/fleet`)).json()) as { devices: { state: string | null }[] };
      const serving = fleet.devices.filter((d) => d.state === 'serving' || d.state === 'promoted').length;
      return registry.devices.length === DEVICES && registry.devices.every((d) => d.online) && serving === DEVICES ? true : undefined;
    }, 240_000);

    const v1 = await json<{ id: string }>('fleet', 'release', 'push', await release('1.0.0'));
    const v2 = await json<{ id: string }>('fleet', 'release', 'push', await release('2.0.0'));
    await json('fleet', 'rollout', 'start', 'local', '--release', v2.id, '--previous', v1.id, '--timeout', '240');
    const done = await eventually('the rollout to end', async () => {
      const p = await json<RolloutProgress>('fleet', 'rollout', 'status', 'local');
      return p.state === 'done' || p.state === 'aborted' ? p : undefined;
    }, 300_000);
    expect(done.state, JSON.stringify(done)).toBe('done');
    expect(done.phases.reduce((n, p) => n + p.healthy, 0)).toBe(DEVICES);
    for (let i = 0; i < DEVICES; i++) {
      const log = readFileSync(join(net, 'devices', `d${i}`, 'agent.log'), 'utf8');
      expect(log).toMatch(/^restart \{"slot":".*\/update\/slots\/[0-9a-f]{64}"\}$/m);
      expect(log).toMatch(/^release 2\.0\.0 launched from .*\/update\/slots\/[0-9a-f]{64}$/m);
    }
  }, 600_000);
});
