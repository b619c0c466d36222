/**
 * The behaviour every BlobStore must have, run against each implementation (memory-backend.test.ts,
 * sqlite-backend.test.ts). A harness opens the store on its storage (again after close: the "restart") and can
 * damage a stored row directly, the way a bad disk would, without going through the store.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobError,
  type BlobStore,
  buildBlob,
  CheckedUpload,
  DEFAULT_CHUNK_SIZE,
  encodeManifest,
  type LocalBlobStoreOptions,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { arbSize, content, edgeSizes, flipped, SMALL_CHUNK } from './fixtures.ts';

export interface StoreHarness {
  open(options?: LocalBlobStoreOptions): BlobStore;
  /** Rewrites the stored chunk row behind the store's back. */
  damageChunk(address: Uint8Array, index: number, damage: (row: Uint8Array) => Uint8Array): void;
  /** Rewrites the stored manifest row behind the store's back. */
  damageManifest(address: Uint8Array, damage: (row: Uint8Array) => Uint8Array): void;
  dispose(): void;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const blob = (size: number, seed: number, chunkSize = SMALL_CHUNK) => buildBlob(content(size, seed), chunkSize);

export function describeBlobStore(name: string, makeHarness: () => StoreHarness): void {
  describe(`${name} blob store`, () => {
    let harness: StoreHarness;
    let store: BlobStore;
    beforeEach(() => {
      harness = makeHarness();
      store = harness.open();
    });
    afterEach(() => {
      store.close();
      harness.dispose();
    });

    it('stores blobs of boundary sizes and reads them back whole, by chunk and by range', () => {
      const sizes = [...edgeSizes(SMALL_CHUNK), DEFAULT_CHUNK_SIZE + 1];
      let total = 0;
      for (const [seed, size] of sizes.entries()) {
        const bytes = content(size, seed);
        const b = buildBlob(bytes, size > 6 * SMALL_CHUNK ? DEFAULT_CHUNK_SIZE : SMALL_CHUNK);
        expect(store.has(b.address)).toBe(false);
        store.put(b.address, b.manifest, b.chunks);
        total += size;
        expect(store.has(b.address)).toBe(true);
        expect(store.missingChunks(b.address)).toEqual([]);
        expect(store.manifest(b.address)).toEqual(b.manifest);
        expect(store.getRange(b.address, 0, size)).toEqual(bytes);
        for (const [i, chunk] of b.chunks.entries()) expect(store.getChunk(b.address, i)).toEqual(chunk);
      }
      expect(store.usage()).toEqual({ usedBytes: total, quotaBytes: Number.MAX_SAFE_INTEGER, blobs: sizes.length });
    });

    it('answers any range of any blob with the bytes at that range, BAD_RANGE outside', () => {
      fc.assert(
        fc.property(arbSize.filter((n) => n > 0), fc.integer(), fc.nat(), fc.nat(), (size, seed, a, b) => {
          const bytes = content(size, seed);
          const built = buildBlob(bytes, SMALL_CHUNK);
          store.put(built.address, built.manifest, built.chunks);
          const offset = a % (size + 1);
          const length = b % (size - offset + 1);
          expect(store.getRange(built.address, offset, length)).toEqual(bytes.subarray(offset, offset + length));
          expect(codeOf(() => store.getRange(built.address, offset, size - offset + 1), BlobError)).toBe('BAD_RANGE');
          expect(codeOf(() => store.getRange(built.address, -1, 1), BlobError)).toBe('BAD_RANGE');
          expect(codeOf(() => store.getChunk(built.address, built.chunks.length), BlobError)).toBe('BAD_RANGE');
        }),
        { numRuns: 25 },
      );
    });

    it('refuses a flipped byte anywhere in a blob with HASH_MISMATCH and keeps nothing of it', () => {
      fc.assert(
        fc.property(arbSize.filter((n) => n > 0), fc.integer(), fc.nat(), fc.nat(7), (size, seed, at, bit) => {
          const bytes = content(size, seed);
          const good = buildBlob(bytes, SMALL_CHUNK);
          const bad = buildBlob(flipped(bytes, at % size, bit), SMALL_CHUNK).chunks;
          expect(codeOf(() => store.put(good.address, good.manifest, bad), BlobError)).toBe('HASH_MISMATCH');
          expect(store.manifest(good.address)).toBeUndefined();
          expect(store.usage().usedBytes).toBe(0);
        }),
        { numRuns: 30 },
      );
      const a = blob(3 * SMALL_CHUNK, 1);
      const b = blob(3 * SMALL_CHUNK, 2);
      expect(codeOf(() => store.put(a.address, b.manifest, b.chunks), BlobError)).toBe('HASH_MISMATCH');
      expect(codeOf(() => store.putManifest(a.address, b.manifest), BlobError)).toBe('HASH_MISMATCH');
      expect(codeOf(() => store.put(a.address, a.manifest, a.chunks.slice(1)), BlobError)).toBe('MALFORMED');
      expect(codeOf(() => store.put(a.address.subarray(1), a.manifest, a.chunks), BlobError)).toBe('MALFORMED');
      expect(store.list()).toEqual([]);
    });

    it('fills a blob chunk by chunk, checking each one on the way in', () => {
      const b = blob(5 * SMALL_CHUNK - 3, 4);
      expect(codeOf(() => store.putChunk(b.address, 0, b.chunks[0]!), BlobError)).toBe('NOT_FOUND');
      store.putManifest(b.address, b.manifest);
      expect(store.usage().usedBytes).toBe(b.manifest.size);
      expect(store.missingChunks(b.address)).toEqual([0, 1, 2, 3, 4]);
      for (const i of [3, 0, 4, 1]) {
        store.putChunk(b.address, i, b.chunks[i]!);
        expect(store.has(b.address)).toBe(false);
      }
      expect(store.missingChunks(b.address)).toEqual([2]);
      expect(codeOf(() => store.getChunk(b.address, 2), BlobError)).toBe('NOT_FOUND');
      expect(codeOf(() => store.getRange(b.address, SMALL_CHUNK, 3 * SMALL_CHUNK), BlobError)).toBe('NOT_FOUND');
      expect(codeOf(() => store.putChunk(b.address, 2, flipped(b.chunks[2]!, 77)), BlobError)).toBe('HASH_MISMATCH');
      expect(codeOf(() => store.putChunk(b.address, 2, b.chunks[1]!), BlobError)).toBe('HASH_MISMATCH');
      expect(store.missingChunks(b.address)).toEqual([2]);
      store.putChunk(b.address, 2, b.chunks[2]!);
      store.putChunk(b.address, 2, b.chunks[2]!);
      store.putManifest(b.address, b.manifest);
      expect(store.has(b.address)).toBe(true);
      expect(store.getRange(b.address, 0, b.manifest.size)).toEqual(content(5 * SMALL_CHUNK - 3, 4));
      expect(store.usage()).toMatchObject({ usedBytes: b.manifest.size, blobs: 1 });
    });

    it('keeps checked uploads chunk by chunk, and serves a chunk with its manifest as stored', () => {
      const b = blob(3 * SMALL_CHUNK + 7, 5);
      const encoded = encodeManifest(b.manifest);
      const upload = (i: number, data = b.chunks[i]!) => CheckedUpload.check(encoded, i, data);
      expect(codeOf(() => upload(1, flipped(b.chunks[1]!, 9)), BlobError)).toBe('HASH_MISMATCH');
      expect(codeOf(() => upload(4, b.chunks[0]), BlobError)).toBe('BAD_RANGE');
      expect(codeOf(() => CheckedUpload.check(encoded.subarray(1), 0, b.chunks[0]!), BlobError)).toBe('MALFORMED');
      expect(upload(2).address).toEqual(b.address);
      expect(codeOf(() => store.servedChunk(b.address, 0), BlobError)).toBe('NOT_FOUND');
      // Complete before? Only the last one finds the blob incomplete before and complete after.
      expect([2, 0, 3].map((i) => store.putUpload(upload(i)))).toEqual([false, false, false]);
      expect(store.usage()).toMatchObject({ usedBytes: b.manifest.size, blobs: 1 });
      expect(store.missingChunks(b.address)).toEqual([1]);
      expect(codeOf(() => store.servedChunk(b.address, 1), BlobError)).toBe('NOT_FOUND');
      expect(store.putUpload(upload(1))).toBe(false);
      expect(store.putUpload(upload(1))).toBe(true);
      expect(store.has(b.address)).toBe(true);
      expect(store.usage()).toMatchObject({ usedBytes: b.manifest.size, blobs: 1 });
      const served = store.servedChunk(b.address, 3);
      expect(served).toEqual({ manifest: b.manifest, encodedManifest: encoded, chunk: b.chunks[3] });
      expect(codeOf(() => store.servedChunk(b.address, 4), BlobError)).toBe('BAD_RANGE');
      harness.damageChunk(b.address, 3, (row) => flipped(row, 3));
      expect(codeOf(() => store.servedChunk(b.address, 3), BlobError)).toBe('CORRUPT');
      // An upload of the damaged chunk repairs it.
      expect(store.putUpload(upload(3))).toBe(true);
      expect(store.servedChunk(b.address, 3).chunk).toEqual(b.chunks[3]);
    });

    it('checks an upload chunked another way against the manifest held for its address, and counts the quota', () => {
      store.close();
      store = harness.open({ quotaBytes: DEFAULT_CHUNK_SIZE + 3 * SMALL_CHUNK });
      const bytes = content(DEFAULT_CHUNK_SIZE + 3 * SMALL_CHUNK, 9);
      const small = buildBlob(bytes, SMALL_CHUNK);
      const large = buildBlob(bytes, DEFAULT_CHUNK_SIZE);
      store.putUpload(CheckedUpload.check(encodeManifest(small.manifest), 0, small.chunks[0]!));
      // Chunk 1 of the large chunking is not chunk 1 of the small one held.
      const other = CheckedUpload.check(encodeManifest(large.manifest), 1, large.chunks[1]!);
      expect(codeOf(() => store.putUpload(other), BlobError)).toBe('MALFORMED');
      expect(store.manifest(small.address)).toEqual(small.manifest);
      expect(store.missingChunks(small.address)).toHaveLength(small.chunks.length - 1);
      const next = blob(1, 3);
      expect(codeOf(() => store.putUpload(CheckedUpload.check(encodeManifest(next.manifest), 0, next.chunks[0]!)), BlobError)).toBe('QUOTA');
      expect(store.manifest(next.address)).toBeUndefined();
    });

    it('keeps everything across close and reopen, and refuses use after close', () => {
      const blobs = [blob(0, 1), blob(1, 2), blob(4 * SMALL_CHUNK + 9, 3)];
      for (const b of blobs) store.put(b.address, b.manifest, b.chunks);
      const partial = blob(3 * SMALL_CHUNK, 4);
      store.putManifest(partial.address, partial.manifest);
      store.putChunk(partial.address, 1, partial.chunks[1]!);
      const usage = store.usage();
      const listed = store.list().map(hex);
      store.close();
      expect(codeOf(() => store.has(blobs[0]!.address), BlobError)).toBe('CLOSED');
      expect(codeOf(() => store.put(partial.address, partial.manifest, partial.chunks), BlobError)).toBe('CLOSED');
      expect(codeOf(() => store.usage(), BlobError)).toBe('CLOSED');
      store.close();

      store = harness.open();
      expect(store.usage()).toEqual(usage);
      expect(store.list().map(hex)).toEqual(listed);
      for (const [seed, b] of blobs.entries()) {
        expect(store.has(b.address)).toBe(true);
        expect(store.getRange(b.address, 0, b.manifest.size)).toEqual(content(b.manifest.size, seed + 1));
      }
      expect(store.missingChunks(partial.address)).toEqual([0, 2]);
      expect(store.getChunk(partial.address, 1)).toEqual(partial.chunks[1]);
      expect(store.checkIntegrity().problems).toEqual([]);
    });

    it('holds no more declared bytes than its quota (QUOTA), also after a reopen, and delete frees them', () => {
      store.close();
      store = harness.open({ quotaBytes: 3 * SMALL_CHUNK });
      const a = blob(2 * SMALL_CHUNK, 1);
      const b = blob(SMALL_CHUNK + 1, 2);
      const c = blob(SMALL_CHUNK, 3);
      store.put(a.address, a.manifest, a.chunks);
      expect(codeOf(() => store.put(b.address, b.manifest, b.chunks), BlobError)).toBe('QUOTA');
      expect(codeOf(() => store.putManifest(b.address, b.manifest), BlobError)).toBe('QUOTA');
      expect(store.manifest(b.address)).toBeUndefined();
      store.putManifest(c.address, c.manifest);
      expect(store.usage()).toEqual({ usedBytes: 3 * SMALL_CHUNK, quotaBytes: 3 * SMALL_CHUNK, blobs: 2 });
      store.put(a.address, a.manifest, a.chunks);
      store.putChunk(c.address, 0, c.chunks[0]!);
      store.close();
      store = harness.open({ quotaBytes: 3 * SMALL_CHUNK });
      expect(codeOf(() => store.put(b.address, b.manifest, b.chunks), BlobError)).toBe('QUOTA');
      expect(store.delete(a.address)).toBe(true);
      store.put(b.address, b.manifest, b.chunks);
      expect(store.usage()).toEqual({ usedBytes: 2 * SMALL_CHUNK + 1, quotaBytes: 3 * SMALL_CHUNK, blobs: 2 });
    });

    it('deletes a blob and all its chunks, and nothing else', () => {
      const a = blob(3 * SMALL_CHUNK, 1);
      const b = blob(2 * SMALL_CHUNK + 5, 2);
      store.put(a.address, a.manifest, a.chunks);
      store.put(b.address, b.manifest, b.chunks);
      expect(store.delete(a.address)).toBe(true);
      expect(store.delete(a.address)).toBe(false);
      expect(store.has(a.address)).toBe(false);
      expect(store.manifest(a.address)).toBeUndefined();
      expect(codeOf(() => store.getChunk(a.address, 0), BlobError)).toBe('NOT_FOUND');
      expect(store.list().map(hex)).toEqual([hex(b.address)]);
      expect(store.usage()).toMatchObject({ usedBytes: b.manifest.size, blobs: 1 });
      // Storing it again starts from nothing: no chunk of the deleted copy is left behind.
      store.putManifest(a.address, a.manifest);
      expect(store.missingChunks(a.address)).toEqual([0, 1, 2]);
      expect(store.getRange(b.address, 0, b.manifest.size)).toEqual(content(2 * SMALL_CHUNK + 5, 2));
    });

    it('lists every address once, in byte order, page by page', () => {
      const addresses: string[] = [];
      for (let i = 0; i < 23; i++) {
        const b = blob(100 + i, i);
        store.put(b.address, b.manifest, b.chunks);
        addresses.push(hex(b.address));
      }
      const seen: string[] = [];
      let after: Uint8Array | undefined;
      for (;;) {
        const page = store.list(after === undefined ? { limit: 5 } : { after, limit: 5 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(5);
        seen.push(...page.map(hex));
        after = page[page.length - 1];
      }
      expect(seen).toEqual([...addresses].sort());
      expect(codeOf(() => store.list({ limit: 0 }), BlobError)).toBe('MALFORMED');
      expect(codeOf(() => store.list({ limit: 1001 }), BlobError)).toBe('MALFORMED');
    });

    it('finds a damaged chunk row, refuses to serve it (CORRUPT), and is whole again once it is re-fetched', () => {
      const a = blob(2 * SMALL_CHUNK, 1);
      const b = blob(3 * SMALL_CHUNK + 10, 2);
      store.put(a.address, a.manifest, a.chunks);
      store.put(b.address, b.manifest, b.chunks);
      expect(store.checkIntegrity()).toEqual({ blobs: 2, chunks: 6, problems: [] });

      harness.damageChunk(b.address, 1, (row) => flipped(row, 5000, 3));
      const report = store.checkIntegrity();
      expect(report.problems).toHaveLength(1);
      expect(report.problems[0]).toMatchObject({ address: b.address, chunk: 1 });
      expect(codeOf(() => store.getChunk(b.address, 1), BlobError)).toBe('CORRUPT');
      expect(codeOf(() => store.getRange(b.address, SMALL_CHUNK - 1, 2), BlobError)).toBe('CORRUPT');
      expect(store.getChunk(b.address, 2)).toEqual(b.chunks[2]);

      store.putChunk(b.address, 1, b.chunks[1]!);
      expect(store.checkIntegrity().problems).toEqual([]);
      harness.damageChunk(a.address, 0, (row) => row.subarray(0, row.length - 1));
      expect(store.checkIntegrity().problems).toMatchObject([{ address: a.address, chunk: 0 }]);
    });

    it('finds a damaged manifest row, whether it still decodes or not', () => {
      const a = blob(2 * SMALL_CHUNK, 1);
      const b = blob(3 * SMALL_CHUNK, 2);
      store.put(a.address, a.manifest, a.chunks);
      store.put(b.address, b.manifest, b.chunks);
      harness.damageManifest(a.address, (row) => flipped(row, row.length - 1));
      harness.damageManifest(b.address, (row) => row.subarray(0, row.length - 4));
      const problems = store.checkIntegrity().problems;
      expect(problems.map((p) => [hex(p.address), p.chunk])).toEqual(
        [
          [hex(a.address), undefined],
          [hex(b.address), undefined],
        ].sort(),
      );
      expect(codeOf(() => store.manifest(b.address), BlobError)).toBe('CORRUPT');
      // A decodable but wrong manifest puts wrong roots beside good chunks: reads refuse them.
      expect(codeOf(() => store.getChunk(a.address, 1), BlobError)).toBe('CORRUPT');
      // The whole blob, checked, replaces a damaged copy.
      store.put(b.address, b.manifest, b.chunks);
      expect(store.getRange(b.address, 0, b.manifest.size)).toEqual(content(3 * SMALL_CHUNK, 2));
    });

    it('is idempotent for the same blob, and replaces an incomplete copy chunked another way', () => {
      const bytes = content(DEFAULT_CHUNK_SIZE + 3 * SMALL_CHUNK, 9);
      const small = buildBlob(bytes, SMALL_CHUNK);
      const large = buildBlob(bytes, DEFAULT_CHUNK_SIZE);
      expect(large.address).toEqual(small.address);
      store.putManifest(small.address, small.manifest);
      store.putChunk(small.address, 0, small.chunks[0]!);
      store.putChunk(small.address, 5, small.chunks[5]!);
      store.putManifest(large.address, large.manifest);
      expect(store.manifest(small.address)).toEqual(small.manifest);
      store.put(large.address, large.manifest, large.chunks);
      store.put(large.address, large.manifest, large.chunks);
      expect(store.manifest(small.address)).toEqual(large.manifest);
      expect(store.has(small.address)).toBe(true);
      expect(store.getRange(small.address, 0, bytes.length)).toEqual(bytes);
      expect(store.usage()).toMatchObject({ usedBytes: bytes.length, blobs: 1 });
      expect(store.checkIntegrity()).toEqual({ blobs: 1, chunks: 2, problems: [] });
      // Once complete, another chunking of the same content changes nothing.
      store.put(small.address, small.manifest, small.chunks);
      expect(store.manifest(small.address)).toEqual(large.manifest);
    });
  });
}
