import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../../../fleet/registry/index.ts';
import { createRepositoryServer, parseRange, ReleaseStore, type RepositoryServer } from '../../../../fleet/repository/index.ts';
import { repositoryPath } from '../../../../node/fleetproto/index.ts';
import { downloadTarget, httpRangeFetcher, type BuiltBundle } from '../../../../node/update/index.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';
import { readFileSync, writeFileSync } from 'node:fs';

let t: TempDir;
let registry: Registry;
let store: ReleaseStore;
let server: RepositoryServer;
let bundle: BuiltBundle;
let name: string;

beforeAll(async () => {
  t = tempDir('repository-server');
  registry = Registry.open(join(t.dir, 'registry.sqlite'));
  store = ReleaseStore.open({ dir: join(t.dir, 'repo'), releases: registry.releases, now: () => 5_000_000 });
  bundle = await appBundle(t.dir, '2.1.0', 20_000);
  name = store.pushRelease(bundle.bytes).target;
  server = createRepositoryServer({ store });
  await server.start();
});

afterAll(async () => {
  await server.stop();
  registry.close();
  t.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, server.url), { headers });
const bytesOf = async (r: Response) => new Uint8Array(await r.arrayBuffer());

describe('repository server', () => {
  it('serves the documents and root 1 at the contract paths, byte for byte', async () => {
    for (const document of ['timestamp', 'snapshot', 'targets'] as const) {
      const r = await get(repositoryPath({ document }));
      expect(r.status).toBe(200);
      expect(await bytesOf(r)).toEqual(store.document(document));
    }
    const root = await get(repositoryPath({ root: 1 }));
    expect(await bytesOf(root)).toEqual(store.initialRoot());
  });

  it('answers 404 for a root version past the chain, an unknown document, target or path', async () => {
    for (const path of [repositoryPath({ root: 2 }), 'metadata/root/0', 'metadata/root/x', 'metadata/keys', repositoryPath({ target: 'ame-app-9.9.9-arm64.tar.gz' }), 'targets/%E0%A4%A', 'elsewhere']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      await r.arrayBuffer();
    }
    const post = await fetch(new URL(repositoryPath({ document: 'timestamp' }), server.url), { method: 'POST' });
    expect(post.status).toBe(405);
    await post.arrayBuffer();
  });

  it('serves a whole target, and ranges of it as 206 with Content-Range', async () => {
    const whole = await get(repositoryPath({ target: name }));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(await bytesOf(whole)).toEqual(bundle.bytes);
    const cases: [string, number, number][] = [
      ['bytes=100-', 100, bundle.length - 1],
      ['bytes=0-9', 0, 9],
      ['bytes=-50', bundle.length - 50, bundle.length - 1],
      [`bytes=10-${bundle.length + 500}`, 10, bundle.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await get(repositoryPath({ target: name }), { Range: range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bundle.length}`);
      expect(await bytesOf(r)).toEqual(bundle.bytes.subarray(start, end + 1));
    }
  });

  it('answers 416 with the length for a range past the end or one it cannot serve', async () => {
    for (const range of [`bytes=${bundle.length}-`, 'bytes=5-2', 'bytes=-0', 'bytes=0-1,5-9', 'items=0-1', 'bytes=-']) {
      const r = await get(repositoryPath({ target: name }), { Range: range });
      expect(r.status, range).toBe(416);
      expect(r.headers.get('content-range')).toBe(`bytes */${bundle.length}`);
      await r.arrayBuffer();
    }
  });

  it("resumes node/update's verifying download from a partial file", async () => {
    const path = join(t.dir, 'download.tar.gz');
    const half = bundle.length >> 1;
    writeFileSync(path, bundle.bytes.subarray(0, half));
    const result = await downloadTarget({ fetchRange: httpRangeFetcher(new URL(repositoryPath({ target: name }), server.url).href), target: { length: bundle.length, sha256: bundle.sha256 }, path });
    expect(result.resumedFrom).toBe(half);
    expect(new Uint8Array(readFileSync(path))).toEqual(bundle.bytes);
  });
});

describe('parseRange', () => {
  it('gives a range inside the file or unsatisfiable, for any header', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(100_000), (header, length) => {
        const r = parseRange(header, length);
        if (r !== 'unsatisfiable') {
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeGreaterThanOrEqual(r.start);
          expect(r.end).toBeLessThan(length);
        }
      }),
    );
  });

  it('takes every satisfiable bytes=a-b exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.nat(200_000), fc.nat(200_000), (length, a, b) => {
        const r = parseRange(`bytes=${a}-${b}`, length);
        if (a < length && b >= a) expect(r).toEqual({ start: a, end: Math.min(b, length - 1) });
        else expect(r).toBe('unsatisfiable');
      }),
    );
  });
});
