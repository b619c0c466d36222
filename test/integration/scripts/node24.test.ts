import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/cli.ts';

const lib = join(repoRoot, 'scripts/node24.sh');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-node24-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(script: string, env: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', `. '${lib}'; ${script}`], {
    env: { ...process.env, AME_QUIET: '1', ...env },
    encoding: 'utf8',
  }).trim();
}

describe('scripts/node24.sh', () => {
  it('uses a system Node that is already 24 or newer as it is', () => {
    expect(sh('ame_ensure_node24; echo "$AME_NODE"')).toBe(process.execPath);
  });

  it('fetches Node 24 into the cache when the system Node is older, and uses it', () => {
    // A fake `node` that reports major version 20, first on PATH.
    const fakeBin = join(dir, 'fakebin');
    execFileSync('mkdir', ['-p', fakeBin]);
    writeFileSync(join(fakeBin, 'node'), '#!/bin/sh\necho 20\n');
    chmodSync(join(fakeBin, 'node'), 0o755);
    const out = sh('ame_ensure_node24; echo "$AME_NODE"; node --version; echo "$npm_config_nodedir"', {
      PATH: `${fakeBin}:${process.env['PATH']}`,
    }).split('\n');
    expect(out[0]).toMatch(/node24-linux-(x64|arm64)\/node_modules\/node-linux-(x64|arm64)\/bin\/node$/);
    expect(out[1]).toMatch(/^v24\./);
    expect(existsSync(join(out[2]!, 'include/node/node_api.h'))).toBe(true);
  }, 120_000);

  it('reinstalls node_modules when the lockfile or the Node ABI changes, and not otherwise', () => {
    const proj = join(dir, 'proj');
    execFileSync('mkdir', ['-p', proj]);
    writeFileSync(join(proj, 'package.json'), '{"name":"p","version":"1.0.0","private":true}\n');
    const key1 = sh(`ame_ensure_node24; ame_modules_key '${proj}'`);
    expect(key1).toMatch(/^[0-9a-f]{64} \d+-(x64|arm64)-linux$/);
    sh(`ame_ensure_node24; ame_ensure_modules '${proj}'`);
    const stamp = join(proj, 'node_modules/.ame-install-stamp');
    // npm wrote a lockfile, so the key now hashes it.
    const key2 = sh(`ame_ensure_node24; ame_modules_key '${proj}'`);
    expect(key2).not.toBe(key1);
    expect(readFileSync(stamp, 'utf8').trim()).toBe(key2);
    // Same key: nothing runs (a broken npm on PATH would fail otherwise).
    const brokenNpm = join(dir, 'brokennpm');
    execFileSync('mkdir', ['-p', brokenNpm]);
    writeFileSync(join(brokenNpm, 'npm'), '#!/bin/sh\nexit 99\n');
    chmodSync(join(brokenNpm, 'npm'), 0o755);
    sh(`ame_ensure_node24; AME_NPM='${join(brokenNpm, 'npm')}'; ame_ensure_modules '${proj}'`);
    // A stamp from another ABI: install runs again.
    writeFileSync(stamp, `${key2.split(' ')[0]} 1-x64-linux\n`);
    expect(() => sh(`ame_ensure_node24; AME_NPM='${join(brokenNpm, 'npm')}'; ame_ensure_modules '${proj}'`)).toThrow();
    sh(`ame_ensure_node24; ame_ensure_modules '${proj}'`);
    expect(readFileSync(stamp, 'utf8').trim()).toBe(key2);
  }, 120_000);
});

describe('native addons', () => {
  it('load in this Node, built for its ABI', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(':memory:');
    expect((db.prepare('select 1 + 1 as two').get() as { two: number }).two).toBe(2);
    db.close();
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const epoll = require('epoll') as { Epoll: unknown };
    expect(typeof epoll.Epoll).toBe('function');
    const bindings = require('@serialport/bindings-cpp') as { autoDetect: () => unknown };
    expect(typeof bindings.autoDetect).toBe('function');
  });
});
