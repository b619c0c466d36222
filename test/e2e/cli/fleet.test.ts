/**
 * `ame fleet run` as its own process, driven by the admin's commands over its API: releases pushed and listed, a
 * rollout started and shown, refusals for a bad token and an action the rollout's state does not allow, and a
 * clean stop on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../../node/update/index.ts';
import { ameIn, repoRoot, runAme } from '../../support/cli.ts';

describe('ame fleet run and the admin commands', () => {
  let dir: string;
  let child: ChildProcess;
  let out = '';
  const ame = () => ameIn(dir);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ame-fleet-e2e-'));
    for (const version of ['1.0.0', '2.0.0']) {
      const app = join(dir, `app-${version}`);
      mkdirSync(app);
      writeFileSync(join(app, 'version.txt'), version);
      writeFileSync(join(dir, `ame-${version}.tar.gz`), (await buildBundle({ dir: app, name: 'ame', version, arch: 'x64' })).bytes);
    }
    const main = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));
    child = spawn(process.execPath, [main, 'fleet', 'run', '--data', join(dir, 'fleet'), '--log-level', 'warn'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ame fleet run not ready:\n${out}`)), 60_000);
      child.stdout!.on('data', () => {
        if (/^ready$/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`ame fleet run exited with ${code}:\n${out}`)));
    });
  }, 90_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints where it listens and keeps an admin token only its owner reads', () => {
    expect(out).toMatch(/^broker mqtt:\/\/127\.0\.0\.1:\d+ /m);
    expect(out).toMatch(/^repository http:\/\/127\.0\.0\.1:\d+/m);
    expect(out).toMatch(/^api http:\/\/127\.0\.0\.1:\d+\/ \(admin token in /m);
    expect(out).toMatch(/^command key [0-9a-f]{64}$/m);
    const api = join(dir, 'fleet', 'api.json');
    expect(statSync(api).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(api, 'utf8'))).toMatchObject({ url: expect.stringMatching(/^http:/), token: expect.stringMatching(/^amet_/) });
  });

  it('pushes and lists releases, starts a rollout and shows it, and refuses what it must', async () => {
    const fleet = ['--fleet', join(dir, 'fleet')];
    const v1 = await ame()('fleet', 'release', 'push', 'ame-1.0.0.tar.gz', '--json', ...fleet);
    expect(v1.code, v1.stderr).toBe(0);
    const r1 = JSON.parse(v1.stdout) as { id: string; target: string };
    expect(r1.target).toBe('ame-1.0.0-x64.tar.gz');
    const v2 = await ame()('fleet', 'release', 'push', 'ame-2.0.0.tar.gz', ...fleet);
    expect(v2.stdout).toMatch(/^release [0-9a-f]{64} ame-2\.0\.0-x64\.tar\.gz \(\d+ bytes\)$/m);
    const r2 = /^release ([0-9a-f]{64})/.exec(v2.stdout)![1]!;
    const list = await ame()('fleet', 'release', 'list', ...fleet);
    expect(list.stdout).toContain('ame-1.0.0-x64.tar.gz');
    expect(list.stdout).toContain('ame-2.0.0-x64.tar.gz');
    const junk = await ame()('fleet', 'release', 'push', 'fleet/api.json', ...fleet);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain('BAD_INPUT');

    const devices = await ame()('fleet', 'devices', '--json', ...fleet);
    expect(JSON.parse(devices.stdout)).toEqual({ devices: [], next: null });

    const started = await ame()('fleet', 'rollout', 'start', 'r1', '--release', r2, '--previous', r1.id, '--canary', 'canary', '--steps', '10,50', ...fleet);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^rollout r1: /m);
    expect(started.stdout).toMatch(/^ {2}canary +\[/m);
    expect(started.stdout).toMatch(/^ {2}50% +\[/m);
    const status = await ame()('fleet', 'rollout', 'status', 'r1', '--json', ...fleet);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: 'r1', release: r2, phases: [{ name: 'canary' }, { name: '10%' }, { name: '50%' }, { name: 'all' }] });

    const wrong = await ame()('fleet', 'devices', '--api', JSON.parse(readFileSync(join(dir, 'fleet', 'api.json'), 'utf8')).url, '--token', 'amet_wrong');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('UNAUTHORIZED');
  });

  it('adds a console account whose password logs in, beside the running controller', async () => {
    const added = await runAme(['fleet', 'admin', 'add', 'ops', '--role', 'operator', '--data', join(dir, 'fleet')], { input: 'correct horse battery\n' });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('account ops (operator) added\n');
    const consoleUrl = /^console (http:\S+)/m.exec(out)![1]!;
    const login = (password: string) =>
      fetch(new URL('/console/login', consoleUrl), { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: new URL(consoleUrl).origin }, body: JSON.stringify({ username: 'ops', password }) });
    expect((await login('wrong')).status).toBe(401);
    const ok = await login('correct horse battery');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/HttpOnly/);
    const twice = await runAme(['fleet', 'admin', 'add', 'ops', '--role', 'admin', '--data', join(dir, 'fleet')], { input: 'another one here\n' });
    expect(twice.code).toBe(1);
  });

  it('stops cleanly on SIGINT', async () => {
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(out).toMatch(/^stopped$/m);
  });
});
