/**
 * The CPU targets a bundle is built for and what distinguishes them: the npm package of the Node runtime, the ELF
 * machine of every native binary, and the compilers that build addons which ship no prebuild.
 */
import { BundleBuildError } from './errors.ts';

export type TargetArch = 'x64' | 'arm64';

export const TARGET_ARCHES: readonly TargetArch[] = ['x64', 'arm64'];

/** ELF e_machine values (System V ABI): what the kernel's loader checks before it runs or maps a binary. */
export const ELF_MACHINES: Readonly<Record<TargetArch, number>> = { x64: 62, arm64: 183 };

export const ELF_MACHINE_NAMES: Readonly<Record<number, string>> = {
  3: 'x86 (32-bit)',
  40: 'ARM (32-bit)',
  62: 'x86-64',
  183: 'AArch64',
};

/** Debian's GNU triplets: the prefix of the cross compilers (package g++-aarch64-linux-gnu). */
const TRIPLETS: Readonly<Record<TargetArch, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

const DEBIAN_ARCH: Readonly<Record<TargetArch, string>> = { x64: 'amd64', arm64: 'arm64' };

export function parseArch(text: string | undefined): TargetArch {
  if (text === 'x64' || text === 'arm64') return text;
  if (text === 'amd64' || text === 'x86_64') return 'x64';
  if (text === 'aarch64') return 'arm64';
  throw new BundleBuildError('BAD_ARGUMENT', `--arch ${JSON.stringify(text ?? '')}: expected arm64 or x64`);
}

export function hostArch(nodeArch: string): TargetArch | undefined {
  return nodeArch === 'x64' || nodeArch === 'arm64' ? nodeArch : undefined;
}

/**
 * Compiler variables for node-gyp. Building on the target's own CPU uses the default compilers; anything else
 * cross-compiles with Debian's toolchain for the target, named here so a missing one fails with its package.
 */
export function compilerEnv(target: TargetArch, host: TargetArch | undefined): Record<string, string> {
  if (target === host) return {};
  const t = TRIPLETS[target];
  return { CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, STRIP: `${t}-strip` };
}

/** Debian's package names differ from the triplets (dashes for the x86-64 underscore). */
const CROSS_PACKAGES: Readonly<Record<TargetArch, string>> = { x64: 'g++-x86-64-linux-gnu', arm64: 'g++-aarch64-linux-gnu' };

export function crossPackage(target: TargetArch): string {
  return `${CROSS_PACKAGES[target]} (the Debian package that cross-compiles for ${DEBIAN_ARCH[target]})`;
}
