/**
 * Puts the application's own files into the staging folder: the runtime sources (run as .ts by Node's type
 * stripping), the package manifest and the lockfile — no tests, docs, benches or scripts. By default they come
 * from a commit (`git archive`), so a release is what was committed and two builds of one commit read the same
 * bytes even while the working tree changes; a plain folder (a Docker build context, an unpacked tarball) is read
 * as it is.
 */
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleBuildError } from './errors.ts';
import type { Runner } from './exec.ts';

/** What the application needs at run time, relative to the repository root. */
export const APP_PATHS: readonly string[] = ['cli', 'device', 'fleet', 'hal', 'node', 'package.json', 'package-lock.json'];

export type SourceSpec = { readonly kind: 'git'; readonly rev: string } | { readonly kind: 'tree' };

/** Files under the source folders that never run in production. */
export function isShippedPath(path: string): boolean {
  const segments = path.split('/');
  const base = segments[segments.length - 1] ?? '';
  if (segments.some((s) => s === '__tests__' || s === '.DS_Store')) return false;
  return !/\.(test|spec|bench)\.[cm]?[jt]s$/.test(base);
}

export interface StagedSources {
  /** The commit the files came from (full hash), for a git source. */
  readonly commit: string | undefined;
  readonly packageVersion: string;
}

async function removeUnshipped(dir: string, run: Runner): Promise<void> {
  const listing = (await run('find', ['.', '-type', 'f'], { cwd: dir })).toString('utf8').split('\n').filter(Boolean);
  for (const file of listing) {
    const path = file.replace(/^\.\//, '');
    if (!isShippedPath(path)) await rm(join(dir, path), { force: true });
  }
}

export async function stageSources(root: string, dest: string, source: SourceSpec, run: Runner): Promise<StagedSources> {
  let commit: string | undefined;
  if (source.kind === 'git') {
    commit = (await run('git', ['-C', root, 'rev-parse', '--verify', `${source.rev}^{commit}`], { missingHint: 'git' })).toString('utf8').trim();
    const tar = await run('git', ['-C', root, 'archive', '--format=tar', commit, '--', ...APP_PATHS]);
    await run('tar', ['-x', '-C', dest, '--no-same-owner'], { input: tar, missingHint: 'tar' });
  } else {
    for (const path of APP_PATHS) {
      await cp(join(root, path), join(dest, path), { recursive: true, verbatimSymlinks: true }).catch((err: NodeJS.ErrnoException) => {
        throw new BundleBuildError('BAD_ARGUMENT', `${join(root, path)} cannot be read: ${err.message}`, { cause: err });
      });
    }
  }
  await removeUnshipped(dest, run);
  const pkg = JSON.parse(await readFile(join(dest, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new BundleBuildError('BAD_ARGUMENT', 'package.json has no version');
  return { commit, packageVersion: pkg.version };
}

/**
 * The release version: package.json's, plus the commit as semver build metadata (`0.1.0+g4bbbbe6`) when built
 * from git, because the image repository refuses one name listed with two different bundles.
 */
export function releaseVersion(packageVersion: string, commit: string | undefined): string {
  return commit === undefined ? packageVersion : `${packageVersion}+g${commit.slice(0, 7)}`;
}

/**
 * The bundle's package.json: what Node reads (`type`) and what `ame --version` prints, without the development
 * entries (scripts run through scripts/run.sh, which a bundle does not carry).
 */
export function releasePackageJson(original: Record<string, unknown>, version: string): string {
  const { devDependencies: _dev, scripts: _scripts, bin: _bin, ...rest } = original;
  return `${JSON.stringify({ ...rest, version }, null, 2)}\n`;
}
