/**
 * The Node runtime a bundle carries: the npm registry's node-linux-<arch> package at one pinned version, checked
 * against a pinned SHA-512 so a republished or swapped tarball cannot change a release built from an old commit.
 * The unpacked package is cached per version and arch; it also gives node-gyp the target's C headers.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleBuildError } from './errors.ts';
import type { Runner } from './exec.ts';
import type { TargetArch } from './target.ts';

export interface PinnedRuntime {
  readonly version: string;
  /** npm's `dist.integrity` of each package tarball (Subresource Integrity, sha512). */
  readonly integrity: Readonly<Record<TargetArch, string>>;
}

/** Raise both together: `npm view node-linux-<arch>@<version> dist.integrity`. */
export const NODE_RUNTIME: PinnedRuntime = {
  version: '24.22.3',
  integrity: {
    x64: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
    arm64: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
  },
};

export function runtimePackageName(arch: TargetArch): string {
  return `node-linux-${arch}`;
}

export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

export interface FetchRuntimeOptions {
  readonly arch: TargetArch;
  /** Where tarballs and unpacked packages are kept between builds. */
  readonly cacheDir: string;
  /** argv prefix that runs npm (e.g. [node, npm-cli.js]). */
  readonly npm: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly run: Runner;
  readonly pinned?: PinnedRuntime;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Returns the unpacked package folder (`bin/node`, `include/node`, `LICENSE`). */
export async function fetchNodeRuntime(options: FetchRuntimeOptions): Promise<string> {
  const pinned = options.pinned ?? NODE_RUNTIME;
  const name = runtimePackageName(options.arch);
  const home = join(options.cacheDir, `${name}-${pinned.version}`);
  const pkg = join(home, 'package');
  // The marker is written last, after the hash matched and the unpacked folder was moved in place.
  if (await exists(join(home, '.verified'))) return pkg;
  await mkdir(options.cacheDir, { recursive: true });
  const [npmCommand, ...npmArgs] = options.npm;
  if (npmCommand === undefined) throw new BundleBuildError('BAD_ARGUMENT', 'no npm command given');
  const packed = await options.run(
    npmCommand,
    [...npmArgs, 'pack', `${name}@${pinned.version}`, '--json', '--pack-destination', options.cacheDir, '--loglevel=error'],
    { env: options.env, cwd: options.cacheDir, missingHint: 'Node.js with npm' },
  );
  const info = JSON.parse(packed.toString('utf8')) as Array<{ filename: string; version: string }>;
  const tgz = join(options.cacheDir, info[0]?.filename ?? `${name}-${pinned.version}.tgz`);
  if (info[0]?.version !== pinned.version) {
    throw new BundleBuildError('RUNTIME_MISMATCH', `npm packed ${name}@${info[0]?.version}, not the pinned ${pinned.version}`);
  }
  const got = integrityOf(await readFile(tgz));
  if (got !== pinned.integrity[options.arch]) {
    throw new BundleBuildError('RUNTIME_MISMATCH', `${tgz} has ${got}, the pinned ${name}@${pinned.version} is ${pinned.integrity[options.arch]}`);
  }
  const staging = `${home}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await options.run('tar', ['-xzf', tgz, '-C', staging, '--no-same-owner'], { missingHint: 'tar' });
  await rm(home, { recursive: true, force: true });
  await rename(staging, home);
  await writeFile(join(home, '.verified'), `${pinned.integrity[options.arch]}\n`);
  return pkg;
}
