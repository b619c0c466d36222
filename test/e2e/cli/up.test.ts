import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runAme } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-up-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `ame up` and resolves once it printed "ready". */
function startUp(): Promise<{ child: ChildProcess; output: () => string; exit: Promise<number | null> }> {
  const main = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));
  const child = spawn(process.execPath, [main, 'up', '--data', dir, '--unities', '2'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ame up not ready after 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out, exit });
      }
    });
    void exit.then((code) => reject(new Error(`ame up exited with ${code}:\n${out}`)));
  });
}

describe('ame up (npm start)', () => {
  it('runs a local Worker Ring that serves ame ring, stops on SIGTERM, and keeps its data across a restart', async () => {
    const first = await startUp();
    expect(first.output()).toContain('Worker Ring up: 2 Unities, 12 servers');
    const put = await runAme(['ring', 'put', '-', 'kept across restarts', '--data', join(dir, 's0'), '--json']);
    expect(put.code, put.stderr).toBe(0);
    const key = (JSON.parse(put.stdout) as { key: string }).key;
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    const second = await startUp();
    const get = await runAme(['ring', 'get', key, '--data', join(dir, 's7')]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('kept across restarts\n');
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });
});
