/**
 * Trims an installed node_modules to what the target loads. Packages ship prebuilt addons for every platform and
 * node-gyp leaves its build tree (Makefiles and config.gypi with the staging folder's absolute paths) beside the
 * addon it compiled; both would make a bundle larger, and the second would make it differ from one build folder to
 * the next. What stays: the prebuilds for linux-<arch> with glibc (Debian and Raspberry Pi OS), and for packages
 * without one, only the compiled `build/Release/*.node`.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BundleBuildError } from './errors.ts';
import type { TargetArch } from './target.ts';

const PREBUILD_NAME = /^([a-z0-9]+)-([a-z0-9+]+?)(?:\.node)?$/;

/** Whether a prebuild folder or file (`linux-arm64`, `darwin-x64+arm64`, `linuxmusl-x64.node`) fits the target. */
export function prebuildFits(name: string, arch: TargetArch): boolean | undefined {
  const m = PREBUILD_NAME.exec(name);
  if (m === null) return undefined;
  return m[1] === 'linux' && (m[2] ?? '').split('+').includes(arch);
}

/** A libc-tagged addon (node-gyp-build's `*.musl.node`) that glibc systems never load. */
export function isMuslOnly(fileName: string): boolean {
  return /(^|\.)musl\.node$/.test(fileName);
}

async function sortedNames(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function isDir(path: string): Promise<boolean> {
  return (await lstat(path)).isDirectory();
}

/** Returns how many prebuilds for the target remain. */
async function prunePrebuilds(dir: string, arch: TargetArch, drop: (path: string) => Promise<void>): Promise<number> {
  let kept = 0;
  for (const name of await sortedNames(dir)) {
    const path = join(dir, name);
    const fits = prebuildFits(name, arch);
    if (fits === false) {
      await drop(path);
      continue;
    }
    if (fits === true && (await isDir(path))) {
      for (const file of await sortedNames(path)) {
        if (isMuslOnly(file)) await drop(join(path, file));
        else kept++;
      }
    } else if (fits === true) kept++;
  }
  return kept;
}

async function keepReleaseAddons(build: string, drop: (path: string) => Promise<void>): Promise<void> {
  for (const name of await sortedNames(build)) {
    if (name !== 'Release') await drop(join(build, name));
  }
  const release = join(build, 'Release');
  if (!(await isDir(release).catch(() => false))) return;
  for (const name of await sortedNames(release)) {
    const path = join(release, name);
    if (!name.endsWith('.node') || (await isDir(path))) await drop(path);
  }
}

/**
 * Prunes `nodeModules` in place for `arch`; returns the removed paths relative to it, in the order removed.
 * Symbolic links other than npm's `.bin` shims are refused: a bundle carries regular files only.
 */
export async function pruneForTarget(nodeModules: string, arch: TargetArch): Promise<string[]> {
  const removed: string[] = [];
  const drop = async (path: string): Promise<void> => {
    removed.push(relative(nodeModules, path));
    await rm(path, { recursive: true, force: true });
  };
  const visit = async (dir: string): Promise<void> => {
    const names = await sortedNames(dir);
    let prebuilt = 0;
    if (names.includes('prebuilds') && (await isDir(join(dir, 'prebuilds')))) {
      prebuilt = await prunePrebuilds(join(dir, 'prebuilds'), arch, drop);
    }
    if (names.includes('build') && names.includes('binding.gyp') && (await isDir(join(dir, 'build')))) {
      // node-gyp-build and better-sqlite3 prefer build/Release over prebuilds: a compiled copy would shadow the
      // upstream prebuild, so it goes whenever a prebuild for the target exists.
      if (prebuilt > 0) await drop(join(dir, 'build'));
      else await keepReleaseAddons(join(dir, 'build'), drop);
    }
    for (const name of names) {
      const path = join(dir, name);
      const stat = await lstat(path).catch(() => undefined);
      if (stat === undefined || name === 'prebuilds') continue;
      if (name === '.bin' && stat.isDirectory()) {
        // npm's command shims are symbolic links; the application never runs them.
        await drop(path);
      } else if (stat.isSymbolicLink()) {
        throw new BundleBuildError('UNSUPPORTED_ENTRY', `${relative(nodeModules, path)} is a symbolic link; bundles carry regular files only`);
      } else if (stat.isDirectory() && !(name === 'build' && names.includes('binding.gyp'))) {
        await visit(path);
      }
    }
  };
  await visit(nodeModules);
  return removed;
}
