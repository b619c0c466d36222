/**
 * The release bundle build end to end (issue 11, Done-when 3): two builds of one commit, in different scratch and
 * output folders, give byte-identical bundles for x64 and for arm64; each bundle unpacks with the device's own
 * extractor and runs — x64 natively, arm64 under qemu-aarch64 with the cross toolchain's libraries as its root —
 * including the native addons (better-sqlite3, onoff's epoll, serialport).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../../node/crypto/index.ts';
import { extractBundle } from '../../../node/update/index.ts';
import { fitsTarget, readElfHeader } from '../../../scripts/bundle/elf.ts';
import { NODE_RUNTIME } from '../../../scripts/bundle/runtime.ts';
import type { TargetArch } from '../../../scripts/bundle/target.ts';
import { buildBundleOf, bundleVersion as version } from '../../support/bundle-build.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ame-bundle-long-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }), 120_000);

const build = (arch: TargetArch, tag: string) => buildBundleOf(arch, join(tmp, `out-${arch}-${tag}`));

/** Loads every native addon and runs SQLite: proves the addons are built for the runtime that loads them. */
const PROBE = `
const path = require('node:path');
const app = process.argv[1];
const Database = require(path.join(app, 'node_modules/better-sqlite3'));
const sqlite = new Database(':memory:').prepare('select sqlite_version() as v').get().v;
const { Epoll } = require(path.join(app, 'node_modules/epoll'));
const serial = require(path.join(app, 'node_modules/node-gyp-build'))(path.join(app, 'node_modules/@serialport/bindings-cpp'));
console.log(JSON.stringify({ arch: process.arch, node: process.versions.node, sqlite, epoll: typeof Epoll, serial: typeof serial.open }));
`;

describe.each(['x64', 'arm64'] as const)('the %s bundle', (arch) => {
  let first: { path: string; sha256: string };
  const unpacked = join(tmp, `unpacked-${arch}`);

  it('is byte-identical across two builds of one commit in different folders', async () => {
    first = await build(arch, 'a');
    const second = await build(arch, 'b');
    expect(first.path.endsWith(`ame-${version}-${arch}.tar.gz`)).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    const bytes = readFileSync(first.path);
    expect(toHex(sha256(bytes))).toBe(first.sha256);
    expect(Buffer.compare(bytes, readFileSync(second.path))).toBe(0);
  });

  it('unpacks with the device extractor into the release layout, every binary for the target', async () => {
    const manifest = await extractBundle(readFileSync(first.path), unpacked);
    const paths = new Set(manifest.files.map((f) => f.path));
    expect(manifest).toMatchObject({ name: 'ame', version, arch });
    for (const p of ['bin/ame', 'runtime/bin/node', 'app/cli/main.ts', 'app/package.json', 'app/node_modules/better-sqlite3/package.json']) {
      expect(paths.has(p), p).toBe(true);
    }
    expect([...paths].filter((p) => p.startsWith('test/') || p.startsWith('docs/') || p.includes('/node_modules/vitest/'))).toEqual([]);
    expect(manifest.files.find((f) => f.path === 'bin/ame')?.mode).toBe(0o755);
    const header = readElfHeader(readFileSync(join(unpacked, 'runtime/bin/node')).subarray(0, 20));
    expect(header && fitsTarget(header, arch)).toBe(true);
  });

  it('runs: the launcher prints the release version, and the addons load in the bundled Node', () => {
    const qemu = arch === 'arm64' ? ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'] : [];
    if (arch === 'arm64') {
      // .ci/run installs both (qemu-user-static, g++-aarch64-linux-gnu, whose libc6-arm64-cross is the root).
      expect(existsSync('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1')).toBe(true);
    }
    const node = join(unpacked, 'runtime/bin/node');
    const [cmd, ...pre] = arch === 'arm64' ? [...qemu, node, join(unpacked, 'app/cli/main.ts')] : [join(unpacked, 'bin/ame')];
    const v = spawnSync(cmd!, [...pre, '--version'], { encoding: 'utf8' });
    expect(v.stdout.trim()).toBe(`ame ${version} (node ${NODE_RUNTIME.version})`);
    const [pcmd, ...ppre] = arch === 'arm64' ? [...qemu, node] : [node];
    const probe = spawnSync(pcmd!, [...ppre, '-e', PROBE, join(unpacked, 'app')], { encoding: 'utf8' });
    expect(probe.status, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ arch, node: NODE_RUNTIME.version, epoll: 'function', serial: 'function' });
    expect(JSON.parse(probe.stdout).sqlite).toMatch(/^3\.\d+\.\d+$/);
  });
});
