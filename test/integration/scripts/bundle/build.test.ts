import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../../../scripts/bundle/build.ts';
import { parseArch } from '../../../../scripts/bundle/target.ts';
import { repoRoot } from '../../../support/cli.ts';

function build(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle/build.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('build.ts command line', () => {
  it('refuses an architecture it does not build, before doing any work', () => {
    const run = build('--arch', 'riscv64', '--out', '/nonexistent/never-created');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('bundle: failed [BAD_ARGUMENT]: --arch "riscv64": expected arm64 or x64');
    expect(run.stdout).toBe('');
  });

  it('refuses contradicting sources and unknown options', () => {
    expect(build('--arch', 'x64', '--tree', '--rev', 'HEAD').stderr).toContain('--tree and --rev exclude each other');
    const unknown = build('--arch', 'x64', '--fast');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("Unknown option '--fast'");
    expect(unknown.stderr).toContain('usage: node scripts/bundle/build.ts');
  });

  it('takes Debian and kernel names of the architectures too', () => {
    expect(['amd64', 'x86_64', 'x64', 'aarch64', 'arm64'].map(parseArch)).toEqual(['x64', 'x64', 'x64', 'arm64', 'arm64']);
  });

  it('keeps the runtime tarballs beside the Node cache of scripts/node24.sh', () => {
    expect(defaultCacheDir({ AME_NODE_CACHE: '/c' })).toBe('/c/bundle');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/ame/bundle');
  });
});
