/** The verifying download: resume, the endless stream stopped one chunk past the length, hashes, HTTP ranges. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, utf8 } from '../../../../node/crypto/index.ts';
import { downloadTarget, type FetchRange, httpRangeFetcher } from '../../../../node/update/index.ts';

const content = utf8('the release bundle, some bytes long enough to come in a few chunks');
const target = { length: content.length, sha256: sha256(content) };

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ame-download-'));
  path = join(dir, 'bundle.partial');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Serves `bytes` from the offset asked for, in chunks of `size`, recording the offsets. */
function source(bytes: Uint8Array, size = 7): { fetchRange: FetchRange; offsets: number[] } {
  const offsets: number[] = [];
  return {
    offsets,
    fetchRange: async function* (offset) {
      offsets.push(offset);
      for (let i = offset; i < bytes.length; i += size) yield bytes.slice(i, Math.min(i + size, bytes.length));
    },
  };
}

const exists = (p: string) => stat(p).then(() => true, () => false);

describe('downloadTarget', () => {
  it('downloads and verifies a whole target', async () => {
    const { fetchRange, offsets } = source(content);
    expect(await downloadTarget({ fetchRange, target, path })).toEqual({ path, length: content.length, resumedFrom: 0 });
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(content))).toBe(true);
    expect(offsets).toEqual([0]);
  });

  it('resumes from the partial file, asking only for the rest', async () => {
    await writeFile(path, content.slice(0, 20));
    const { fetchRange, offsets } = source(content);
    expect((await downloadTarget({ fetchRange, target, path })).resumedFrom).toBe(20);
    expect(offsets).toEqual([20]);
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(content))).toBe(true);
  });

  it('keeps what arrived when the source stops early, then finishes on the next call', async () => {
    const { fetchRange } = source(content.slice(0, 30));
    await expect(downloadTarget({ fetchRange, target, path })).rejects.toMatchObject({ code: 'INCOMPLETE', message: /30 of/ });
    expect((await stat(path)).size).toBe(30);
    expect((await downloadTarget({ fetchRange: source(content).fetchRange, target, path })).resumedFrom).toBe(30);
  });

  it('stops an endless stream at the first byte past the signed length and removes the file', async () => {
    let read = 0;
    const endless: FetchRange = async function* () {
      for (;;) {
        read += 1;
        yield new Uint8Array([0x61]);
      }
    };
    await expect(downloadTarget({ fetchRange: endless, target, path })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(read).toBe(target.length + 1);
    expect(await exists(path)).toBe(false);
  });

  it('refuses a chunk that crosses the length, even from a resumed offset', async () => {
    await writeFile(path, content.slice(0, 10));
    const { fetchRange } = source(new Uint8Array([...content, 1, 2, 3]), 100);
    await expect(downloadTarget({ fetchRange, target, path })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await exists(path)).toBe(false);
  });

  it('refuses bytes whose SHA-256 is not the signed one and removes the file', async () => {
    const other = Uint8Array.from(content);
    other[5]! ^= 1;
    await expect(downloadTarget({ fetchRange: source(other).fetchRange, target, path })).rejects.toMatchObject({
      code: 'HASH_MISMATCH',
    });
    expect(await exists(path)).toBe(false);
  });

  it('starts over when the partial file is longer than the target', async () => {
    await writeFile(path, new Uint8Array(content.length + 5));
    const { fetchRange, offsets } = source(content);
    expect((await downloadTarget({ fetchRange, target, path })).resumedFrom).toBe(0);
    expect(offsets).toEqual([0]);
  });
});

describe('httpRangeFetcher', () => {
  let server: Server;
  let honourRange = true;
  beforeEach(async () => {
    honourRange = true;
    server = createServer((req, res) => {
      const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (match && honourRange) {
        const from = Number(match[1]);
        res.writeHead(206, { 'content-range': `bytes ${from}-${content.length - 1}/${content.length}` });
        res.end(content.subarray(from));
      } else {
        res.writeHead(200);
        res.end(content);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/b.tar.gz`;

  it('resumes over HTTP Range', async () => {
    await writeFile(path, content.slice(0, 25));
    expect((await downloadTarget({ fetchRange: httpRangeFetcher(url()), target, path })).resumedFrom).toBe(25);
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(content))).toBe(true);
  });

  it('refuses a server that ignores the range instead of splicing the file', async () => {
    honourRange = false;
    await writeFile(path, content.slice(0, 25));
    await expect(downloadTarget({ fetchRange: httpRangeFetcher(url()), target, path })).rejects.toMatchObject({
      code: 'MALFORMED',
      message: /did not answer the range from 25 \(HTTP 200\)/,
    });
  });
});
