/**
 * Installs the production dependencies for the target CPU into the staged application: `npm ci --omit=dev` from
 * the lockfile, with npm told the target (so optional platform packages and node-gyp builds are the target's) and
 * node-gyp pointed at the target runtime's headers and, off the target CPU, at Debian's cross compilers.
 */
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Runner } from './exec.ts';
import { compilerEnv, crossPackage, type TargetArch } from './target.ts';

/** npm variables that an outer `npm run` exports and that must not leak into the target's install. */
function withoutNpmVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return Object.fromEntries(Object.entries(env).filter(([k]) => keep.has(k.toLowerCase()) || !/^npm_/i.test(k)));
}

/** The argv prefix of the npm that belongs to the running Node (npm 11 beside Node 24), else npm on PATH. */
export function findNpm(execPath: string): string[] {
  const bin = dirname(execPath);
  const candidates = [join(bin, '../../npm/bin/npm-cli.js'), join(bin, '../lib/node_modules/npm/bin/npm-cli.js')];
  const cli = candidates.find((c) => existsSync(c));
  return cli ? [execPath, cli] : ['npm'];
}

export interface InstallOptions {
  readonly appDir: string;
  readonly arch: TargetArch;
  readonly host: TargetArch | undefined;
  /** The unpacked node-linux-<arch> package: node-gyp's `nodedir`. */
  readonly runtimeDir: string;
  readonly npm: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly run: Runner;
}

export function installEnv(options: Pick<InstallOptions, 'arch' | 'host' | 'runtimeDir' | 'env'>, execPath: string): NodeJS.ProcessEnv {
  return {
    ...withoutNpmVariables(options.env),
    // node-gyp and install scripts run on the build host's Node, found first on PATH.
    PATH: `${dirname(execPath)}:${options.env['PATH'] ?? ''}`,
    npm_config_nodedir: options.runtimeDir,
    npm_config_arch: options.arch,
    npm_config_target_arch: options.arch,
    npm_config_cpu: options.arch,
    npm_config_os: 'linux',
    npm_config_libc: 'glibc',
    ...compilerEnv(options.arch, options.host),
  };
}

export async function installProductionDeps(options: InstallOptions, execPath: string): Promise<void> {
  const env = installEnv(options, execPath);
  const cxx = env['CXX'];
  if (cxx !== undefined) await options.run(cxx, ['--version'], { env, missingHint: crossPackage(options.arch) });
  const [npm, ...npmArgs] = options.npm;
  await options.run(npm ?? 'npm', [...npmArgs, 'ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: options.appDir,
    env,
    missingHint: 'Node.js with npm',
  });
}
