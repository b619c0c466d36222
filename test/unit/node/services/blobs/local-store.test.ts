import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BlobBackend,
  BlobError,
  buildBlob,
  DEFAULT_CHUNK_SIZE,
  LocalBlobStore,
  MemoryBlobBackend,
  SqliteBlobBackend,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { content, SMALL_CHUNK } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-blobs-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A backend whose write of chunk `failAt` fails (while set): a full disk in the middle of a put. */
function failing<B extends BlobBackend>(backend: B): B & { failAt: number | undefined } {
  const out = backend as B & { failAt: number | undefined };
  out.failAt = undefined;
  const write = backend.writeChunk.bind(backend);
  out.writeChunk = (address, index, data) => {
    if (index === out.failAt) throw new Error('disk full');
    write(address, index, data);
  };
  return out;
}

const backends: [string, () => BlobBackend][] = [
  ['memory', () => new MemoryBlobBackend()],
  ['SQLite', () => new SqliteBlobBackend(join(dir, `${Math.random().toString(36).slice(2)}.db`))],
];

describe('LocalBlobStore', () => {
  for (const [name, make] of backends) {
    it(`${name}: a put that fails halfway leaves nothing behind, and an earlier partial copy as it was`, () => {
      const backend = failing(make());
      const store = new LocalBlobStore(backend);
      const bytes = content(DEFAULT_CHUNK_SIZE + 3 * SMALL_CHUNK, 5);
      const small = buildBlob(bytes, SMALL_CHUNK);
      const large = buildBlob(bytes, DEFAULT_CHUNK_SIZE);
      const other = buildBlob(content(4 * SMALL_CHUNK, 6), SMALL_CHUNK);

      backend.failAt = 2;
      expect(() => store.put(other.address, other.manifest, other.chunks)).toThrow('disk full');
      expect(store.manifest(other.address)).toBeUndefined();
      expect(store.usage()).toMatchObject({ usedBytes: 0, blobs: 0 });

      backend.failAt = undefined;
      store.putManifest(small.address, small.manifest);
      store.putChunk(small.address, 0, small.chunks[0]!);
      store.putChunk(small.address, 2, small.chunks[2]!);
      // Replacing the partial copy (another chunking) deletes its chunk rows first; chunk 1 of the new one fails.
      backend.failAt = 1;
      expect(() => store.put(large.address, large.manifest, large.chunks)).toThrow('disk full');
      backend.failAt = undefined;
      expect(store.manifest(small.address)).toEqual(small.manifest);
      expect(store.missingChunks(small.address)).toEqual(
        Array.from({ length: small.chunks.length }, (_, i) => i).filter((i) => i !== 0 && i !== 2),
      );
      expect(store.getChunk(small.address, 2)).toEqual(small.chunks[2]);
      expect(store.usage()).toMatchObject({ usedBytes: bytes.length, blobs: 1 });
      store.close();
    });
  }

  it('refuses a quota that is no byte count and addresses of the wrong length', () => {
    expect(codeOf(() => new LocalBlobStore(new MemoryBlobBackend(), { quotaBytes: -1 }), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => new LocalBlobStore(new MemoryBlobBackend(), { quotaBytes: 0.5 }), BlobError)).toBe('MALFORMED');
    const store = new LocalBlobStore(new MemoryBlobBackend(), { quotaBytes: 0 });
    const empty = buildBlob(new Uint8Array(0));
    store.put(empty.address, empty.manifest, empty.chunks);
    expect(store.has(empty.address)).toBe(true);
    expect(codeOf(() => store.has(new Uint8Array(31)), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => store.list({ after: new Uint8Array(33) }), BlobError)).toBe('MALFORMED');
  });
});
