/**
 * TEST ONLY: the arm64 release bundle on this x86-64 machine — found or built, unpacked by the device's own
 * extractor, and run under qemu-aarch64 user-mode emulation. There is no binfmt_misc here, so the emulator is called
 * explicitly on the bundle's Node (what its launcher `bin/ame` execs), with the cross toolchain's libraries as the
 * root the emulated loader reads (libc6-arm64-cross, installed with g++-aarch64-linux-gnu; `.ci/run` installs both).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BundleManifest, extractBundle } from '../../node/update/index.ts';
import { buildBundleOf, bundleVersion } from './bundle-build.ts';
import { repoRoot } from './cli.ts';

export const QEMU_AARCH64 = 'qemu-aarch64-static';
export const AARCH64_ROOT = '/usr/aarch64-linux-gnu';

/** The command that runs the unpacked bundle's CLI under the emulator (then: its arguments). */
export function qemuCli(unpacked: string): string[] {
  return [QEMU_AARCH64, '-L', AARCH64_ROOT, join(unpacked, 'runtime/bin/node'), join(unpacked, 'app/cli/main.ts')];
}

export interface Arm64Bundle {
  readonly path: string;
  /** Where it came from: AME_ARM64_BUNDLE, dist/ (built from HEAD before), or built now into dist/. */
  readonly source: 'env' | 'dist' | 'built';
  /** Seconds the build took (built now only). */
  readonly buildS?: number;
  readonly manifest: BundleManifest;
}

/**
 * The arm64 bundle of HEAD, unpacked into `dest`: AME_ARM64_BUNDLE when set (any bundle, e.g. one built with
 * `--tree` from uncommitted work), else `dist/ame-<version of HEAD>-arm64.tar.gz` — the build of one commit is
 * byte-for-byte the same whenever it is made (test/long/image/bundle-build.test.ts), so one built earlier is as good
 * as a new one — else `npm run build:bundle -- --arch arm64` now, into dist/, where the next run finds it.
 */
export async function unpackArm64Bundle(dest: string): Promise<Arm64Bundle> {
  const fromEnv = process.env['AME_ARM64_BUNDLE'];
  const inDist = join(repoRoot, 'dist', `ame-${bundleVersion}-arm64.tar.gz`);
  let found: Omit<Arm64Bundle, 'manifest'>;
  if (fromEnv !== undefined && fromEnv !== '') found = { path: fromEnv, source: 'env' };
  else if (existsSync(inDist)) found = { path: inDist, source: 'dist' };
  else {
    const built = await buildBundleOf('arm64', join(repoRoot, 'dist'));
    found = { path: built.path, source: 'built', buildS: built.ms / 1000 };
  }
  const manifest = await extractBundle(readFileSync(found.path), dest);
  if (manifest.arch !== 'arm64') throw new Error(`${found.path} is a bundle for ${manifest.arch}, not arm64`);
  return { ...found, manifest };
}

/** Peak and current resident set of a process, in KiB (/proc/<pid>/status VmHWM and VmRSS). */
export function residentKiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: field('VmHWM'), now: field('VmRSS') };
}
