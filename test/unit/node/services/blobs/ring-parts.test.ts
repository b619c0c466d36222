import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RING_VALUE_SIZE } from '../../../../../node/ring/index.ts';
import {
  BLOB_PART_SCHEME,
  BlobError,
  type BlobPart,
  blobPartsOf,
  buildBlob,
  checkBlobPart,
  chunkPart,
  chunkPartKey,
  chunkRoot,
  decodeBlobPart,
  DEFAULT_CHUNK_SIZE,
  encodeBlobPart,
  type Manifest,
  manifestAddress,
  MAX_BLOB_PART_SIZE,
  MAX_BLOB_SIZE,
  MAX_CHUNK_PATH,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  maxBlobSize,
  manifestPart,
  manifestPartKey,
  merklePath,
  MIN_CHUNK_SIZE,
  partKey,
  SEGMENT_SIZE,
} from '../../../../../node/services/blobs/index.ts';
import { encodeCbor } from '../../../../../node/wire/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { arbSize, bytes32, content, flipped, mutation, onlyThrows, SMALL_CHUNK } from './fixtures.ts';

type ChunkPart = Extract<BlobPart, { kind: 'chunk' }>;

const C = MIN_CHUNK_SIZE;
const several = buildBlob(content(3 * C + 100, 7), C);
const other = buildBlob(content(3 * C + 100, 8), C);
const partsOf = (blob: ReturnType<typeof buildBlob>): BlobPart[] =>
  blobPartsOf(blob.address, blob.manifest, blob.chunks);
const chunkOf = (blob: ReturnType<typeof buildBlob>, index: number): ChunkPart =>
  chunkPart(blob.address, blob.manifest, index, blob.chunks[index]!) as ChunkPart;
/** The code checkBlobPart refuses `part` with under `key` (its own by default), undefined when it checks. */
const check = (part: BlobPart, key = partKey(part)) =>
  codeOf(() => checkBlobPart(key, encodeBlobPart(part)), BlobError);
const u32be = (n: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
};

describe('blob parts on the ring', () => {
  it('round-trip and check for blobs of 0, 1 and several chunks, manifest part first', () => {
    for (const [size, seed] of [[0, 1], [1, 2], [C, 3], [3 * C + 100, 4]] as const) {
      const blob = buildBlob(content(size, seed), C);
      const parts = partsOf(blob);
      expect(parts.map((p) => p.kind)).toEqual(['manifest', ...blob.chunks.map(() => 'chunk')]);
      for (const part of parts) {
        const bytes = encodeBlobPart(part);
        const decoded = decodeBlobPart(bytes);
        expect(decoded).toEqual(part);
        expect(encodeBlobPart(decoded)).toEqual(bytes);
        expect(checkBlobPart(partKey(part), bytes)).toEqual(part);
      }
      // The manifest part carries the manifest itself; each chunk part its chunk, geometry and merklePath.
      expect(parts[0]).toEqual({ kind: 'manifest', address: blob.address, manifest: blob.manifest });
      for (const [i, chunk] of blob.chunks.entries()) {
        expect(parts[i + 1]).toEqual({
          kind: 'chunk',
          address: blob.address,
          index: i,
          size,
          chunkSize: C,
          path: merklePath(blob.manifest.chunkRoots, i),
          chunk,
        });
      }
    }
  });

  it('keys: the manifest under the address, each chunk under address[0..28) ‖ u32be(index + 1)', () => {
    const { address } = several;
    expect(manifestPartKey(address)).toEqual(address);
    const keys = several.chunks.map((_, i) => chunkPartKey(address, i));
    const hex = new Set([address, ...keys].map((k) => Buffer.from(k).toString('hex')));
    expect(hex.size).toBe(keys.length + 1);
    for (const [i, key] of keys.entries()) {
      expect(key.length).toBe(32);
      expect(key.subarray(0, 28)).toEqual(address.subarray(0, 28));
      expect(key.subarray(28)).toEqual(u32be(i + 1));
    }
    expect(partsOf(several).map(partKey)).toEqual([address, ...keys]);
    expect(chunkPartKey(address, MAX_CHUNKS - 1).subarray(28)).toEqual(u32be(MAX_CHUNKS));
    expect(codeOf(() => chunkPartKey(address, MAX_CHUNKS), BlobError)).toBe('BAD_RANGE');
    expect(codeOf(() => chunkPartKey(address, -1), BlobError)).toBe('BAD_RANGE');
    expect(codeOf(() => chunkPartKey(address.subarray(1), 0), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => manifestPartKey(address.subarray(1)), BlobError)).toBe('MALFORMED');
  });

  it('refuses a part checked under another key (KEY_MISMATCH)', () => {
    const manifest = partsOf(several)[0]!;
    const chunk1 = chunkOf(several, 1);
    const wrongKeys: [BlobPart, Uint8Array][] = [
      [manifest, chunkPartKey(several.address, 0)],
      [manifest, other.address],
      [manifest, several.address.subarray(0, 31)],
      [chunk1, several.address],
      [chunk1, chunkPartKey(several.address, 0)],
      [chunk1, chunkPartKey(several.address, 2)],
      [chunk1, chunkPartKey(other.address, 1)],
      [chunk1, flipped(chunkPartKey(several.address, 1), 0)],
    ];
    for (const [part, key] of wrongKeys) expect(check(part, key)).toBe('KEY_MISMATCH');
    expect(check(manifest)).toBeUndefined();
    expect(check(chunk1)).toBeUndefined();
  });

  it('refuses parts that do not lead to their address (HASH_MISMATCH), each under its own key', () => {
    const part = chunkOf(several, 1);
    const last = chunkOf(several, 3);
    expect(check(part)).toBeUndefined();
    // A tampered chunk byte, anywhere in the chunk.
    for (const at of [0, 1000, C - 1]) expect(check({ ...part, chunk: flipped(part.chunk, at) })).toBe('HASH_MISMATCH');
    // A wrong index with the same geometry (same chunk length, same path length), checked under that index's key.
    expect(check({ ...part, index: 2 })).toBe('HASH_MISMATCH');
    expect(check({ ...part, index: 0 })).toBe('HASH_MISMATCH');
    // A wrong hash on the path.
    for (let j = 0; j < part.path.length; j++) {
      const path = part.path.map((h, k) => (k === j ? flipped(h, 5) : h));
      expect(check({ ...part, path })).toBe('HASH_MISMATCH');
    }
    const swapped = [...part.path].reverse();
    expect(check({ ...part, path: swapped })).toBe('HASH_MISMATCH');
    // A wrong size that keeps the geometry: the address commits to the size.
    expect(check({ ...part, size: part.size + 1 })).toBe('HASH_MISMATCH');
    expect(check({ ...part, size: part.size - 99 })).toBe('HASH_MISMATCH');
    // The last (short) chunk presented as a chunk of a blob one byte larger, with a byte appended.
    const longer = new Uint8Array(last.chunk.length + 1);
    longer.set(last.chunk);
    expect(check({ ...last, size: last.size + 1, chunk: longer })).toBe('HASH_MISMATCH');
    // Another blob's chunk and path under this address.
    const foreign = chunkOf(other, 1);
    expect(check({ ...foreign, address: several.address })).toBe('HASH_MISMATCH');
    // A manifest of another blob under this address; a manifest with one root changed.
    expect(check({ kind: 'manifest', address: several.address, manifest: other.manifest })).toBe('HASH_MISMATCH');
    const roots = several.manifest.chunkRoots.map((r, i) => (i === 2 ? flipped(r, 0) : r));
    const changed: Manifest = { ...several.manifest, chunkRoots: roots };
    expect(check({ kind: 'manifest', address: several.address, manifest: changed })).toBe('HASH_MISMATCH');
    // The empty blob's manifest under a non-empty blob's address.
    const empty = buildBlob(new Uint8Array(0), C);
    expect(check({ kind: 'manifest', address: several.address, manifest: empty.manifest })).toBe('HASH_MISMATCH');
  });

  it('refuses parts whose geometry disagrees with itself (MALFORMED), before any hashing', () => {
    const part = chunkOf(several, 1);
    const raw = (p: ChunkPart): Record<string, unknown> => ({ ...p, path: [...p.path] });
    const bad: Record<string, unknown>[] = [
      { ...raw(part), size: 2 * C }, // index 1 of 2 chunks: path of 1 hash, not 2
      { ...raw(part), path: part.path.slice(1) },
      { ...raw(part), path: [...part.path, bytes32('x')] },
      { ...raw(part), chunk: part.chunk.subarray(1) },
      { ...raw(part), index: 4 }, // the blob has 4 chunks
      { ...raw(part), chunkSize: 3 * C },
      { ...raw(part), size: 0 },
      { ...raw(part), kind: 'manifest' },
      { ...raw(part), kind: 'other' },
      { ...raw(part), extra: 1 },
      { ...raw(part), address: part.address.subarray(1) },
      { kind: 'manifest', address: several.address, size: several.manifest.size, chunkSize: C, roots: [] },
      { kind: 'manifest', address: several.address, size: 0, chunkSize: C, roots: [], v: 1 },
    ];
    for (const value of bad) {
      const bytes = encodeCbor(value as never);
      expect(codeOf(() => decodeBlobPart(bytes), BlobError)).toBe('MALFORMED');
      expect(codeOf(() => checkBlobPart(partKey(part), bytes), BlobError)).toBe('MALFORMED');
    }
    // encodeBlobPart checks the same fields, so a malformed part never reaches the wire.
    expect(codeOf(() => encodeBlobPart({ ...part, path: part.path.slice(1) }), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => encodeBlobPart({ ...part, index: 4 }), BlobError)).toBe('MALFORMED');
    // A non-canonical encoding of a valid part (a definite-length map spelled indefinite) is refused.
    const bytes = encodeBlobPart(part);
    const indefinite = Uint8Array.from([0xbf, ...bytes.subarray(1), 0xff]);
    expect(codeOf(() => decodeBlobPart(indefinite), BlobError)).toBe('MALFORMED');
    // Over the size limit.
    expect(codeOf(() => decodeBlobPart(new Uint8Array(MAX_BLOB_PART_SIZE + 1)), BlobError)).toBe('TOO_LARGE');
  });

  it('builds only true parts: manifestPart / chunkPart / blobPartsOf refuse what replicas would', () => {
    expect(codeOf(() => manifestPart(other.address, several.manifest), BlobError)).toBe('HASH_MISMATCH');
    expect(codeOf(() => chunkPart(other.address, several.manifest, 0, several.chunks[0]!), BlobError)).toBe(
      'HASH_MISMATCH',
    );
    const chunk = several.chunks[1]!;
    expect(codeOf(() => chunkPart(several.address, several.manifest, 1, flipped(chunk, 9)), BlobError)).toBe(
      'HASH_MISMATCH',
    );
    expect(codeOf(() => chunkPart(several.address, several.manifest, 2, chunk), BlobError)).toBe('HASH_MISMATCH');
    expect(codeOf(() => chunkPart(several.address, several.manifest, 4, chunk), BlobError)).toBe('BAD_RANGE');
    expect(codeOf(() => blobPartsOf(several.address, several.manifest, several.chunks.slice(1)), BlobError)).toBe(
      'MALFORMED',
    );
    const some = new Map([
      [3, several.chunks[3]!],
      [1, several.chunks[1]!],
    ]);
    const parts = blobPartsOf(several.address, several.manifest, some);
    expect(parts.map((p) => (p.kind === 'chunk' ? p.index : -1))).toEqual([-1, 1, 3]);
  });

  it('a chunk part of the largest chunk fits the size limit, and the limit fits a ring value (1 MiB + 8192)', () => {
    // A blob of MAX_CHUNK_SIZE chunks, all equal, at its largest size (4096 chunks).
    const chunk = content(MAX_CHUNK_SIZE, 11);
    const count = maxBlobSize(MAX_CHUNK_SIZE) / MAX_CHUNK_SIZE;
    const root = chunkRoot(chunk);
    const manifest: Manifest = {
      size: count * MAX_CHUNK_SIZE,
      chunkSize: MAX_CHUNK_SIZE,
      chunkRoots: Array(count).fill(root),
    };
    const address = manifestAddress(manifest);
    const part = chunkPart(address, manifest, count - 1, chunk) as ChunkPart;
    expect(part.path.length).toBe(12);
    const bytes = encodeBlobPart(part);
    expect(checkBlobPart(chunkPartKey(address, count - 1), bytes).kind).toBe('chunk');
    expect(bytes.length - MAX_CHUNK_SIZE).toBeLessThan(600);
    expect(bytes.length).toBeLessThanOrEqual(MAX_BLOB_PART_SIZE);
    // Every field at its schema maximum at once (no real blob has a 1 MiB chunk and a 14-hash path).
    const worst = encodeCbor({
      kind: 'manifest', // longer than 'chunk'
      address: new Uint8Array(32),
      index: MAX_CHUNKS - 1,
      size: MAX_BLOB_SIZE,
      chunkSize: MAX_CHUNK_SIZE,
      path: Array.from({ length: MAX_CHUNK_PATH }, () => new Uint8Array(32)),
      chunk: new Uint8Array(MAX_CHUNK_SIZE),
    });
    expect(MAX_CHUNK_PATH).toBe(14);
    expect(worst.length).toBeLessThanOrEqual(MAX_BLOB_PART_SIZE);
    // The largest manifest part (MAX_CHUNKS roots) fits too.
    const big: Manifest = {
      size: MAX_BLOB_SIZE,
      chunkSize: DEFAULT_CHUNK_SIZE,
      chunkRoots: Array(MAX_CHUNKS).fill(bytes32(1)),
    };
    const manifestBytes = encodeBlobPart({ kind: 'manifest', address: manifestAddress(big), manifest: big });
    expect(manifestBytes.length).toBeLessThanOrEqual(MAX_BLOB_PART_SIZE);
    // The ring's checked-value envelope around the largest part stays within MAX_RING_VALUE_SIZE.
    expect(MAX_RING_VALUE_SIZE).toBe(1024 * 1024 + 8192);
    const data = new Uint8Array(MAX_BLOB_PART_SIZE);
    const envelope = encodeCbor({ kind: 'checked', scheme: BLOB_PART_SCHEME, data });
    expect(envelope.length).toBeLessThanOrEqual(MAX_RING_VALUE_SIZE);
  });

  it('builds every part of a MAX_CHUNKS blob with one tree (n log n, not n²)', () => {
    const chunk = content(MIN_CHUNK_SIZE, 12);
    const manifest: Manifest = {
      size: MAX_CHUNKS * MIN_CHUNK_SIZE,
      chunkSize: MIN_CHUNK_SIZE,
      chunkRoots: Array(MAX_CHUNKS).fill(chunkRoot(chunk)),
    };
    const address = manifestAddress(manifest);
    const started = performance.now();
    const parts = blobPartsOf(address, manifest, Array(MAX_CHUNKS).fill(chunk));
    // A tree per chunk would hash ~2.7e8 nodes (minutes); one tree takes about half a second.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(parts.length).toBe(MAX_CHUNKS + 1);
    for (const index of [0, 1, 4095, MAX_CHUNKS - 1]) {
      const part = parts[index + 1] as ChunkPart;
      expect(part.path).toEqual(merklePath(manifest.chunkRoots, index));
      expect(part.path.length).toBe(MAX_CHUNK_PATH);
      expect(checkBlobPart(chunkPartKey(address, index), encodeBlobPart(part)).kind).toBe('chunk');
    }
  });

  it('one blob at two chunk sizes has two valid parts under one chunk key (geometry comes from the part)', () => {
    const bytes = content(3 * C, 13);
    const small = buildBlob(bytes, C);
    const large = buildBlob(bytes, 2 * C);
    expect(large.address).toEqual(small.address);
    const a = chunkOf(small, 0);
    const b = chunkOf(large, 0);
    expect(partKey(a)).toEqual(partKey(b));
    expect(encodeBlobPart(a)).not.toEqual(encodeBlobPart(b));
    expect(check(a)).toBeUndefined();
    expect(check(b)).toBeUndefined();
  });

  it('random bytes and mutated parts throw nothing but BlobError; a mutation that decodes is canonical', () => {
    const key = chunkPartKey(several.address, 1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        return (
          onlyThrows(BlobError, () => decodeBlobPart(bytes)) && onlyThrows(BlobError, () => checkBlobPart(key, bytes))
        );
      }),
      { numRuns: 300 },
    );
    const small = buildBlob(content(3 * SEGMENT_SIZE + 5, 14), C);
    const valid = partsOf(small).map(encodeBlobPart);
    fc.assert(
      fc.property(fc.constantFrom(...valid).chain((base) => mutation(base)), (bytes) => {
        let part: BlobPart;
        try {
          part = decodeBlobPart(bytes);
        } catch (error) {
          if (error instanceof BlobError) return ['MALFORMED', 'TOO_LARGE'].includes(error.code);
          throw error;
        }
        expect(encodeBlobPart(part)).toEqual(bytes);
        return onlyThrows(BlobError, () => checkBlobPart(partKey(part), bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('every part of any blob at any chunk size checks under its key (property)', () => {
    fc.assert(
      fc.property(arbSize, fc.nat(1000), fc.constantFrom(C, 2 * C, SMALL_CHUNK), (size, seed, chunkSize) => {
        const blob = buildBlob(content(size, seed), chunkSize);
        const parts = blobPartsOf(blob.address, blob.manifest, blob.chunks);
        expect(parts.length).toBe(blob.chunks.length + 1);
        for (const part of parts) {
          expect(part.address).toEqual(blob.address);
          expect(checkBlobPart(partKey(part), encodeBlobPart(part))).toEqual(part);
        }
      }),
      { numRuns: 40 },
    );
  });
});
