/** The ustar writer and reader on their own: long paths through the prefix field, and the archives they refuse. */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../node/crypto/index.ts';
import { readTar, type TarFile, writeTar } from '../../../../node/update/index.ts';
import { refusalOf } from './fixtures.ts';

const files: TarFile[] = [
  { path: 'a.txt', mode: 0o644, data: utf8('a') },
  { path: `${'d'.repeat(150)}/${'n'.repeat(99)}`, mode: 0o755, data: new Uint8Array(1000).fill(7) },
  { path: 'empty', mode: 0o644, data: new Uint8Array() },
];

describe('tar', () => {
  it('reads back what it writes, block-aligned, long paths split into prefix and name', () => {
    const tar = writeTar(files);
    expect(tar.length % 512).toBe(0);
    expect(tar.length).toBe(3 * 512 + 512 + 2 * 512 + 2 * 512);
    const back = readTar(tar, { maxEntries: 10 });
    expect(back.map((f) => [f.path, f.mode, Buffer.from(f.data).toString('hex')])).toEqual(
      files.map((f) => [f.path, f.mode, Buffer.from(f.data).toString('hex')]),
    );
  });

  it('refuses a path no ustar header can hold', () => {
    expect(refusalOf(() => writeTar([{ path: 'x'.repeat(101), mode: 0o644, data: new Uint8Array() }]))).toMatch(/^BAD_PATH/);
    expect(refusalOf(() => writeTar([{ path: `${'p'.repeat(156)}/n`, mode: 0o644, data: new Uint8Array() }]))).toMatch(/^BAD_PATH/);
  });

  it('refuses a truncated archive, a changed header and too many entries', () => {
    const tar = writeTar(files);
    expect(refusalOf(() => readTar(tar.subarray(0, tar.length - 1024), { maxEntries: 10 }))).toMatch(
      /^MALFORMED: tar ends without its end-of-archive blocks/,
    );
    expect(refusalOf(() => readTar(tar.subarray(0, 512 + 300), { maxEntries: 10 }))).toMatch(/^MALFORMED/);
    const changed = Uint8Array.from(tar);
    changed[0] = 0x62; // a.txt → b.txt without fixing the checksum
    expect(refusalOf(() => readTar(changed, { maxEntries: 10 }))).toMatch(/^MALFORMED: tar entry "b.txt": bad header checksum/);
    expect(refusalOf(() => readTar(tar, { maxEntries: 2 }))).toMatch(/^TOO_LARGE: more than 2 tar entries/);
  });
});
