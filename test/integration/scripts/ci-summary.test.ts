import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summary(...files: string[]): { out: string; code: number } {
  try {
    const out = execFileSync(process.execPath, [join(repoRoot, 'scripts/ci-summary.ts'), ...files], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { out: out.trim(), code: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { out: err.stdout.trim(), code: err.status };
  }
}

const report = (name: string, p: number, f: number, s: number, success = f === 0) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ numPassedTests: p, numFailedTests: f, numPendingTests: s, numTodoTests: 0, success }));
  return path;
};

describe('scripts/ci-summary.ts', () => {
  it('totals every report into one closing line', () => {
    expect(summary(report('a.json', 10, 0, 1), report('b.json', 5, 0, 0))).toEqual({ out: '15 passed, 0 failed, 1 skipped', code: 0 });
    expect(summary(report('c.json', 10, 2, 0), report('d.json', 5, 0, 0))).toEqual({ out: '15 passed, 2 failed, 0 skipped', code: 1 });
  });

  it('counts a missing report or a suite that failed to load as a failure', () => {
    expect(summary(report('e.json', 3, 0, 0), join(dir, 'missing.json'))).toEqual({ out: '3 passed, 1 failed, 0 skipped', code: 1 });
    expect(summary(report('f.json', 3, 0, 0, false))).toEqual({ out: '3 passed, 1 failed, 0 skipped', code: 1 });
  });
});
