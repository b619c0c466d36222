import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleBuildError } from '../../../../scripts/bundle/errors.ts';
import { isMuslOnly, prebuildFits, pruneForTarget } from '../../../../scripts/bundle/prune.ts';
import { listFiles } from './list-files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-prune-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, files: readonly string[]): string {
  const root = join(tmp, name);
  for (const path of files) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), path);
  }
  return root;
}


describe('prebuildFits', () => {
  it.each([
    ['linux-arm64', 'arm64', true],
    ['linux-arm64.node', 'arm64', true],
    ['linux-x64', 'arm64', false],
    ['linux-arm', 'arm64', false],
    ['linuxmusl-arm64.node', 'arm64', false],
    ['darwin-x64+arm64', 'arm64', false],
    ['android-arm64', 'arm64', false],
    ['win32-x64', 'x64', false],
    ['linux-x64', 'x64', true],
    ['README.md', 'x64', undefined],
  ] as const)('%s for %s: %s', (name, arch, fits) => {
    expect(prebuildFits(name, arch)).toBe(fits);
  });

  it('tells the musl-only addons of node-gyp-build from the glibc ones', () => {
    expect(isMuslOnly('@serialport+bindings-cpp.armv8.musl.node')).toBe(true);
    expect(isMuslOnly('@serialport+bindings-cpp.armv8.glibc.node')).toBe(false);
    expect(isMuslOnly('node.napi.node')).toBe(false);
  });
});

describe('pruneForTarget', () => {
  it('keeps the target glibc prebuilds and the compiled addons, and drops every other platform and build file', async () => {
    const root = tree('nm', [
      // node-gyp-build layout, and a compiled copy that would shadow the prebuild
      'serial/binding.gyp',
      'serial/index.js',
      'serial/prebuilds/linux-arm64/serial.armv8.glibc.node',
      'serial/prebuilds/linux-arm64/serial.armv8.musl.node',
      'serial/prebuilds/linux-x64/serial.glibc.node',
      'serial/prebuilds/darwin-x64+arm64/serial.node',
      'serial/prebuilds/win32-arm64/serial.armv8.node',
      'serial/build/Makefile',
      'serial/build/config.gypi',
      'serial/build/Release/bindings.node',
      // better-sqlite3 layout: flat files
      'sqlite/lib/index.js',
      'sqlite/prebuilds/linux-arm64.node',
      'sqlite/prebuilds/linuxmusl-arm64.node',
      'sqlite/prebuilds/linux-x64.node',
      'sqlite/prebuilds/win32-arm64.node',
      // compiled only (epoll): keep build/Release/*.node, nothing else of node-gyp's tree
      'epoll/binding.gyp',
      'epoll/epoll.js',
      'epoll/build/Makefile',
      'epoll/build/config.gypi',
      'epoll/build/Release/epoll.node',
      'epoll/build/Release/obj.target/epoll.node',
      'epoll/build/Release/.deps/Release/epoll.node.d',
      // a nested package with its own prebuilds
      'outer/node_modules/inner/prebuilds/linux-x64/inner.node',
      'outer/node_modules/inner/prebuilds/linux-arm64/inner.node',
      // a folder named build that is not node-gyp's
      'tool/build/index.js',
    ]);
    mkdirSync(join(root, '.bin'));
    symlinkSync('../sqlite/lib/index.js', join(root, '.bin/sqlite'));
    const removed = await pruneForTarget(root, 'arm64');
    expect(listFiles(root)).toEqual([
      'epoll/binding.gyp',
      'epoll/build/Release/epoll.node',
      'epoll/epoll.js',
      'outer/node_modules/inner/prebuilds/linux-arm64/inner.node',
      'serial/binding.gyp',
      'serial/index.js',
      'serial/prebuilds/linux-arm64/serial.armv8.glibc.node',
      'sqlite/lib/index.js',
      'sqlite/prebuilds/linux-arm64.node',
      'tool/build/index.js',
    ]);
    expect(removed).toContain('.bin');
    expect(removed).toContain('serial/build');
  });

  it('refuses a symbolic link outside .bin, which a bundle cannot carry', async () => {
    const root = tree('link', ['a/index.js']);
    symlinkSync('a', join(root, 'b'));
    const err = await pruneForTarget(root, 'x64').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleBuildError);
    expect((err as BundleBuildError).code).toBe('UNSUPPORTED_ENTRY');
    expect((err as Error).message).toContain('b is a symbolic link');
  });
});
