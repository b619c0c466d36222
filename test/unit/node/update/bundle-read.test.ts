/** Extraction verifies everything before writing anything, and refuses every way a bundle can lie. */
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import {
  BUNDLE_FORMAT,
  encodeManifest,
  extractBundle,
  readBundle,
  type TarFile,
  writeTar,
} from '../../../../node/update/index.ts';
import { mutation } from '../../../support/mutation.ts';
import { refusalOf } from './fixtures.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ame-extract-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const fileOf = (path: string, text: string, mode = 0o644): TarFile => ({ path, mode, data: utf8(text) });
const listed = (files: readonly TarFile[]) =>
  files.map((f) => ({ path: f.path, size: f.data.length, sha256: toHex(sha256(f.data)), mode: f.mode }));
const manifestEntry = (files: readonly TarFile[]): TarFile => ({
  path: 'manifest.json',
  mode: 0o644,
  data: encodeManifest({ format: BUNDLE_FORMAT, name: 'ame', version: '1.0.0', arch: 'x64', files: listed(files) }),
});
/** A bundle whose manifest lists `inManifest` and whose tar carries `entries` after it. */
const craft = (inManifest: readonly TarFile[], entries: readonly TarFile[] = inManifest) =>
  new Uint8Array(gzipSync(writeTar([manifestEntry(inManifest), ...entries])));

const good = [fileOf('bin/ame', '#!/bin/sh\n', 0o755), fileOf('lib/a.js', 'a'), fileOf('z.txt', 'z')];

const refusal = (bytes: Uint8Array, limits = {}) => refusalOf(() => readBundle(bytes, limits));

describe('readBundle / extractBundle', () => {
  it('extracts every file with its mode into an empty folder', async () => {
    const out = join(dir, 'out');
    const manifest = await extractBundle(craft(good), out);
    expect(manifest.files.map((f) => f.path)).toEqual(['bin/ame', 'lib/a.js', 'z.txt']);
    expect(await readFile(join(out, 'lib', 'a.js'), 'utf8')).toBe('a');
    expect((await stat(join(out, 'bin', 'ame'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(out, 'z.txt'))).mode & 0o777).toBe(0o644);
  });

  it('refuses path traversal and absolute paths', () => {
    for (const path of ['../evil', 'lib/../../evil', '/etc/passwd', 'a//b', './a', 'a\\b']) {
      const files = [fileOf(path, 'x')];
      expect(refusal(craft(files))).toMatch(/^BAD_PATH/);
    }
  });

  it('refuses duplicate entries, entries the manifest does not list, and listed files that are missing', () => {
    expect(refusal(craft(good, [...good, good[1]!]))).toMatch(/^DUPLICATE_ENTRY: "lib\/a.js" appears twice/);
    expect(refusal(craft(good, [...good, fileOf('extra', 'x')]))).toMatch(/^NOT_IN_MANIFEST: "extra" is in the bundle/);
    expect(refusal(craft(good, good.slice(0, 2)))).toMatch(/^NOT_IN_MANIFEST: the manifest lists "z.txt"/);
    expect(refusal(craft(good, [...good, manifestEntry(good)]))).toMatch(/^DUPLICATE_ENTRY/);
  });

  it('refuses a file whose content, size or mode differs from the manifest', () => {
    expect(refusal(craft(good, [good[0]!, fileOf('lib/a.js', 'b'), good[2]!]))).toMatch(/^HASH_MISMATCH: "lib\/a.js" does not match/);
    expect(refusal(craft(good, [good[0]!, fileOf('lib/a.js', 'aa'), good[2]!]))).toMatch(/^HASH_MISMATCH: .* 2 bytes/);
    expect(refusal(craft(good, [fileOf('bin/ame', '#!/bin/sh\n'), ...good.slice(1)]))).toMatch(/^HASH_MISMATCH: .* mode 644/);
  });

  it('refuses a gzip bomb at the unpacked-size cap', () => {
    const big = { path: 'zeros', mode: 0o644, data: new Uint8Array(4 * 1024 * 1024) };
    const bytes = craft([big]);
    expect(bytes.length).toBeLessThan(16 * 1024);
    expect(refusal(bytes, { maxUnpackedSize: 1024 * 1024 })).toMatch(/^TOO_LARGE: bundle unpacks to more than 1048576 bytes/);
    expect(refusal(craft(good), { maxFiles: 2 })).toMatch(/^TOO_LARGE: more than 3 tar entries/);
  });

  it('refuses links and other entry types, a missing manifest, non-gzip input and a non-canonical manifest', () => {
    const tar = writeTar([manifestEntry(good), ...good]);
    const header = 512 + Math.ceil(manifestEntry(good).data.length / 512) * 512; // bin/ame's header, after the manifest
    tar[header + 156] = 0x32; // '2': symbolic link
    let sum = 0;
    for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 0x20 : tar[header + i]!;
    tar.set(utf8(`${sum.toString(8).padStart(6, '0')}\u0000 `), header + 148);
    expect(refusal(new Uint8Array(gzipSync(tar)))).toMatch(/^UNSUPPORTED_ENTRY: tar entry "bin\/ame" is of type "2"/);
    expect(refusal(new Uint8Array(gzipSync(writeTar(good))))).toMatch(/^MALFORMED: the first entry is not manifest.json/);
    expect(refusal(utf8('not gzip'))).toMatch(/^MALFORMED: bundle is not valid gzip/);
    const spaced = { ...manifestEntry(good), data: utf8(` ${new TextDecoder().decode(manifestEntry(good).data)}`) };
    expect(refusal(new Uint8Array(gzipSync(writeTar([spaced, ...good]))))).toMatch(/^MALFORMED: manifest: not in canonical form/);
    expect(refusal(craft([fileOf('a', 'x'), fileOf('a/b', 'y')]))).toMatch(/^BAD_PATH: a is listed as a file and as a folder/);
  });

  it('writes nothing from a bundle that fails, and never into a folder that has files', async () => {
    const out = join(dir, 'out');
    await expect(extractBundle(craft(good, [...good, fileOf('extra', 'x')]), out)).rejects.toMatchObject({ code: 'NOT_IN_MANIFEST' });
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
    await extractBundle(craft(good), out);
    await writeFile(join(out, 'z.txt'), 'changed');
    await expect(extractBundle(craft(good), out)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(await readFile(join(out, 'z.txt'), 'utf8')).toBe('changed');
  });

  it('throws only UpdateError for random bytes and for mutations of a valid bundle and of its tar', () => {
    // Either a typed refusal, or (a change in a field extraction ignores, such as mtime or padding) the same files.
    const only = (bytes: Uint8Array) => {
      if (refusal(bytes) !== 'accepted') return;
      const files = readBundle(bytes).files.map((f) => [f.path, f.mode, toHex(f.data)]);
      expect(files).toEqual(good.map((f) => [f.path, f.mode, toHex(f.data)]));
    };
    const tar = writeTar([manifestEntry(good), ...good]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          mutation(craft(good), { keepWhole: false }),
          mutation(tar, { keepWhole: false }).map((t) => new Uint8Array(gzipSync(t))),
        ),
        only,
      ),
      { numRuns: 400 },
    );
  });
});
