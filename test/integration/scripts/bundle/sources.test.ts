import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleBuildError } from '../../../../scripts/bundle/errors.ts';
import { runCommand } from '../../../../scripts/bundle/exec.ts';
import { isShippedPath, releasePackageJson, releaseVersion, stageSources } from '../../../../scripts/bundle/sources.ts';
import { listFiles } from './list-files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-sources-'));
const repo = join(tmp, 'repo');
let commit: string;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim();
}


beforeAll(() => {
  mkdirSync(repo);
  git('init', '-q');
  write('package.json', JSON.stringify({ name: 'ame', version: '1.2.3', type: 'module', scripts: { x: 'y' }, devDependencies: { a: '1' }, bin: { ame: 'bin/ame' }, dependencies: { b: '2' } }));
  write('package-lock.json', '{}');
  for (const dir of ['cli', 'device', 'fleet', 'hal', 'node']) write(`${dir}/index.ts`, `export const ${dir} = 1;`);
  write('device/dashboard/public/app.js', 'app');
  write('node/wire/cbor.test.ts', 'a test beside the code');
  write('test/unit/x.test.ts', 'tests');
  write('docs/x.md', 'docs');
  write('scripts/run.sh', 'scripts');
  git('add', '-A');
  git('commit', '-q', '-m', 'one');
  commit = git('rev-parse', 'HEAD');
  // Edits after the commit: a git build must not see them, a tree build must.
  write('cli/index.ts', 'export const cli = 2;');
  write('cli/untracked.ts', 'new');
});

describe('stageSources', () => {
  it('takes the runtime folders and package files of a commit, without tests, docs or scripts', async () => {
    const dest = join(tmp, 'git');
    mkdirSync(dest);
    const staged = await stageSources(repo, dest, { kind: 'git', rev: 'HEAD' }, runCommand);
    expect(staged).toEqual({ commit, packageVersion: '1.2.3' });
    expect(listFiles(dest)).toEqual([
      'cli/index.ts',
      'device/dashboard/public/app.js',
      'device/index.ts',
      'fleet/index.ts',
      'hal/index.ts',
      'node/index.ts',
      'package-lock.json',
      'package.json',
    ]);
    expect(readFileSync(join(dest, 'cli/index.ts'), 'utf8')).toBe('export const cli = 1;');
  });

  it('reads a plain folder as it is with a tree source (a Docker build context)', async () => {
    const dest = join(tmp, 'tree');
    mkdirSync(dest);
    const staged = await stageSources(repo, dest, { kind: 'tree' }, runCommand);
    expect(staged.commit).toBeUndefined();
    expect(readFileSync(join(dest, 'cli/index.ts'), 'utf8')).toBe('export const cli = 2;');
    expect(existsSync(join(dest, 'cli/untracked.ts'))).toBe(true);
    expect(existsSync(join(dest, 'node/wire/cbor.test.ts'))).toBe(false);
  });

  it('fails with a typed error for a revision that does not exist', async () => {
    const dest = join(tmp, 'none');
    mkdirSync(dest);
    const err = await stageSources(repo, dest, { kind: 'git', rev: 'no-such-rev' }, runCommand).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleBuildError);
    expect((err as BundleBuildError).code).toBe('COMMAND_FAILED');
  });
});

describe('release metadata', () => {
  it('names a git build by its commit as semver build metadata', () => {
    expect(releaseVersion('0.1.0', '4bbbbe6aa1f0')).toBe('0.1.0+g4bbbbe6');
    expect(releaseVersion('0.1.0', undefined)).toBe('0.1.0');
  });

  it('writes the package.json a release runs with: the release version, no development entries', () => {
    const out = JSON.parse(releasePackageJson({ name: 'ame', version: '0.1.0', type: 'module', scripts: {}, devDependencies: {}, bin: {}, dependencies: { a: '1' } }, '0.1.0+gabc'));
    expect(out).toEqual({ name: 'ame', version: '0.1.0+gabc', type: 'module', dependencies: { a: '1' } });
  });

  it.each([
    ['node/wire/cbor.ts', true],
    ['device/dashboard/public/app.js', true],
    ['node/wire/cbor.test.ts', false],
    ['node/x/__tests__/a.ts', false],
    ['node/x/y.bench.ts', false],
  ])('ships %s: %s', (path, shipped) => {
    expect(isShippedPath(path)).toBe(shipped);
  });
});
