/** Bundles are deterministic (two builds, any mtimes, any non-exec mode bits: the same bytes) and ustar proper. */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../../../node/crypto/index.ts';
import { buildBundle, bundleTargetName, readTar, UpdateError } from '../../../../node/update/index.ts';

let dir: string;
let src: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ame-bundle-'));
  src = join(dir, 'src');
  await mkdir(join(src, 'bin'), { recursive: true });
  await mkdir(join(src, 'lib', 'deep'.repeat(30)), { recursive: true });
  await writeFile(join(src, 'bin', 'ame'), '#!/bin/sh\necho ame\n');
  await chmod(join(src, 'bin', 'ame'), 0o700);
  await writeFile(join(src, 'package.json'), '{"name":"ame"}\n');
  await writeFile(join(src, 'lib', 'deep'.repeat(30), 'index.js'), 'export {};\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const options = () => ({ dir: src, name: 'ame', version: '1.2.3', arch: 'arm64' });

describe('buildBundle', () => {
  it('gives identical bytes for two builds, whatever the mtimes and non-exec mode bits on disk', async () => {
    const first = await buildBundle(options());
    const again = await buildBundle(options());
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    await utimes(join(src, 'package.json'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await chmod(join(src, 'package.json'), 0o600);
    await chmod(join(src, 'bin', 'ame'), 0o755);
    const touched = await buildBundle(options());
    expect(toHex(touched.sha256)).toBe(toHex(first.sha256));
    expect(first.length).toBe(first.bytes.length);
    expect(toHex(first.sha256)).toBe(toHex(sha256(first.bytes)));
  });

  it('changes when a file content or its exec bit changes', async () => {
    const first = await buildBundle(options());
    await chmod(join(src, 'package.json'), 0o744);
    const exec = await buildBundle(options());
    expect(toHex(exec.sha256)).not.toBe(toHex(first.sha256));
    expect(exec.manifest.files.find((f) => f.path === 'package.json')!.mode).toBe(0o755);
  });

  it('puts the canonical manifest first, then the files in path order with fixed header fields', async () => {
    const built = await buildBundle(options());
    const entries = readTar(new Uint8Array(gunzipSync(built.bytes)), { maxEntries: 10 });
    expect(entries.map((e) => e.path)).toEqual(['manifest.json', 'bin/ame', `lib/${'deep'.repeat(30)}/index.js`, 'package.json']);
    const manifestText = new TextDecoder().decode(entries[0]!.data);
    expect(manifestText.startsWith('{"arch":"arm64","files":[{"mode":493,"path":"bin/ame","sha256":"')).toBe(true);
    expect(manifestText.endsWith('"format":"ame-bundle/1","name":"ame","version":"1.2.3"}')).toBe(true);
    expect(built.manifest.files.map((f) => f.mode)).toEqual([0o755, 0o644, 0o644]);
    expect(bundleTargetName(built.manifest)).toBe('ame-1.2.3-arm64.tar.gz');
  });

  it('is a tarball the system tar lists with mtime 0, root owner and the same contents', async () => {
    const built = await buildBundle(options());
    const file = join(dir, 'b.tar.gz');
    await writeFile(file, built.bytes);
    const listing = execFileSync('tar', ['-tzvf', file, '--numeric-owner'], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwxr-xr-x 0\/0 +\d+ 1970-01-01 00:00 bin\/ame$/m);
    const out = join(dir, 'out');
    await mkdir(out);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    expect(await readFile(join(out, 'lib', 'deep'.repeat(30), 'index.js'), 'utf8')).toBe('export {};\n');
  });

  it('refuses symbolic links, a folder with its own manifest.json, and unportable names', async () => {
    await symlink('package.json', join(src, 'link'));
    await expect(buildBundle(options())).rejects.toMatchObject({ code: 'UNSUPPORTED_ENTRY', message: /link is a symbolic link/ });
    await rm(join(src, 'link'));
    await writeFile(join(src, 'manifest.json'), '{}');
    await expect(buildBundle(options())).rejects.toMatchObject({ code: 'DUPLICATE_ENTRY' });
    await rm(join(src, 'manifest.json'));
    await expect(buildBundle({ ...options(), version: '../1' })).rejects.toBeInstanceOf(UpdateError);
  });
});
