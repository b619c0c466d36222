/**
 * `ame fleet balena rollout start|status|abort` as child processes, through the real balena-sdk over HTTP against
 * the local balena API server (test/support/balena-api.ts): a detached rollout moved on by `status` until the fleet
 * is pinned to the release; a followed rollout aborted by a second invocation (canaries pinned back); a release the
 * canaries fail aborted by the budget; and the refusals (fleet not pinned to the previous release, no API key, a
 * wrong key, an ID in use).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GROUPS_TAG } from '../../../../fleet/balena/index.ts';
import type { RolloutProgress } from '../../../../fleet/rollout/index.ts';
import { startBalenaApi, type BalenaApi } from '../../../support/balena-api.ts';
import { repoRoot, runAme } from '../../../support/cli.ts';
import { eventually } from '../../../support/wait.ts';

const OLD = '1'.repeat(40);
const NEW = '2'.repeat(40);
const TOKEN = 'balena-cli-test-token';
const FLEET = 'ame/fleet';
const uuidOf = (i: number) => i.toString(16).padStart(32, '0');
const CANARY = [0, 1, 2].map(uuidOf);
const REST = [3, 4, 5, 6, 7, 8, 9, 10, 11].map(uuidOf);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function rig(pinned = OLD) {
  const api: BalenaApi = await startBalenaApi({
    token: TOKEN,
    fleet: { slug: FLEET, pinned },
    releases: [OLD, NEW],
    devices: [...CANARY, ...REST].map((uuid, i) => ({ uuid, running: OLD, tags: i < 3 ? { [GROUPS_TAG]: 'canary' } : {} })),
  });
  cleanup.push(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'ame-balena-cli-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const env = { BALENA_API_URL: api.url, BALENA_API_KEY: TOKEN, HOME: dir };
  const ame = (args: string[], extra: Record<string, string | undefined> = {}) =>
    runAme(['fleet', 'balena', 'rollout', ...args, '--state', join(dir, 'state')], { env: { ...env, ...extra } });
  const plan = ['--fleet', FLEET, '--release', NEW, '--previous', OLD, '--canary', 'canary', '--steps', '50', '--concurrency', '12'];
  const writes = () => api.requests().filter((r) => r.method !== 'GET').length;
  return { api, dir, env, ame, plan, writes };
}

describe('ame fleet balena rollout', () => {
  it('starts a detached rollout on the canaries, and status moves it on until the fleet runs the release', async () => {
    const { api, ame, plan, writes } = await rig();
    const started = await ame(['start', 'r1', ...plan, '--detach']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^rollout r1: running, phase canary, 3 updating$/m);
    for (const uuid of CANARY) expect(api.device(uuid).pinned).toBe(NEW);
    for (const uuid of REST) expect(api.device(uuid).pinned).toBeNull();

    let progress: RolloutProgress | undefined;
    for (let round = 0; round < 6 && progress?.state !== 'done'; round++) {
      api.tick();
      const status = await ame(['status', 'r1', '--json']);
      expect(status.code, status.stderr).toBe(0);
      progress = JSON.parse(status.stdout) as RolloutProgress;
    }
    expect(progress?.phases.map((p) => [p.name, p.state, p.healthy])).toEqual([
      ['canary', 'passed', 3],
      ['50%', 'passed', 3],
      ['all', 'passed', 6],
    ]);
    expect(api.fleet().pinned).toBe(NEW);
    for (const uuid of [...CANARY, ...REST]) expect(api.device(uuid)).toMatchObject({ pinned: null, running: NEW });

    // Done and the fleet pinned: status only reads the stored state, and changes nothing at balena.
    const before = writes();
    const done = await ame(['status', 'r1']);
    expect(done.stdout).toMatch(/^rollout r1: done/m);
    expect(writes()).toBe(before);
    expect((await ame(['abort', 'r1'])).stderr).toContain('rollout r1 is done: nothing to abort');
    expect(api.unsupported()).toEqual([]);
  }, 120_000);

  it('follows a rollout until another invocation aborts it: the canaries go back to the old release', async () => {
    const { api, dir, env, ame, plan } = await rig();
    const main = fileURLToPath(new URL('../../../../cli/main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, 'fleet', 'balena', 'rollout', 'start', 'r2', ...plan, '--poll', '0.2', '--state', join(dir, 'state')], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(() => void (child.exitCode === null && child.kill('SIGKILL')));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await eventually('the canaries pinned', () => (CANARY.every((u) => api.device(u).pinned === NEW) && existsSync(join(dir, 'state', 'r2.lock')) ? true : undefined), 30_000);

    const busy = await ame(['status', 'r2']);
    expect(busy.stdout).toMatch(/^\(process \d+ is following it\)$/m);
    const aborted = await ame(['abort', 'r2', '--reason', 'operator said so']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toMatch(/^rollout r2: aborted.*manual \(operator said so\)/m);
    expect(await exited, out).toBe(1);
    expect(existsSync(join(dir, 'state', 'r2.lock'))).toBe(false);
    api.tick();
    for (const uuid of CANARY) expect(api.device(uuid)).toMatchObject({ pinned: OLD, running: OLD });
    for (const uuid of REST) expect(api.device(uuid).pinned).toBeNull();
    expect(api.fleet().pinned).toBe(OLD);
  }, 120_000);

  it('aborts a release the canaries fail past the budget, and refuses what it must', async () => {
    const { api, dir, ame, plan } = await rig();
    api.markBad(CANARY[0]!, NEW);
    api.markBad(CANARY[1]!, NEW, 'rolled-back');
    expect((await ame(['start', 'r3', ...plan, '--budget', '1', '--detach'])).code).toBe(0);
    api.tick();
    const status = await ame(['status', 'r3']);
    expect(status.stdout).toMatch(/^rollout r3: aborted, phase canary, \d updating — aborted: failure-budget/m);
    for (const uuid of CANARY) expect(api.device(uuid).pinned).toBe(OLD);

    const again = await ame(['start', 'r3', ...plan, '--detach']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('balena rollout r3 already exists')]);
    const noKey = await ame(['start', 'r4', ...plan, '--detach'], { BALENA_API_KEY: undefined });
    expect(noKey.stderr).toContain('no balena API key');
    const wrongKey = await ame(['start', 'r5', ...plan, '--detach'], { BALENA_API_KEY: 'not-the-key' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('Unauthorized');
    // The fleet is still pinned to OLD: a rollout from NEW to OLD is refused before any pin.
    const wrongFleet = await ame(['start', 'r6', '--fleet', FLEET, '--release', OLD, '--previous', NEW, '--detach']);
    expect(wrongFleet.stderr).toContain(`the fleet is pinned to ${OLD}; pin it to plan.previousRelease ${NEW}`);
    expect(existsSync(join(dir, 'state', 'r6.json'))).toBe(false);
    expect((await ame(['status', 'nope'])).stderr).toContain('no balena rollout nope');
    expect((await ame(['status', '../x'])).code).toBe(2);
    expect(api.unsupported()).toEqual([]);
  }, 120_000);
});
