import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressHex,
  BlobBuilder,
  BlobError,
  blobAddress,
  buildBlob,
  buildBlobFromStream,
  chunkCount,
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNKS,
  merkleTop,
  SEGMENT_SIZE,
  segmentLeaf,
  verifyChunk,
  verifyManifest,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { arbSize, concat, content, DEFAULT_EDGE_SIZES, flipped, SMALL_CHUNK } from './fixtures.ts';

/** The address computed straight from the definition: every segment a leaf of one tree, size and top hashed. */
function referenceAddress(bytes: Uint8Array): string {
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += SEGMENT_SIZE) leaves.push(segmentLeaf(bytes.subarray(i, i + SEGMENT_SIZE)));
  return addressHex(blobAddress(bytes.length, leaves.length === 0 ? undefined : merkleTop(leaves)));
}

function checkBuilt(bytes: Uint8Array, chunkSize: number): string {
  const built = buildBlob(bytes, chunkSize);
  expect(built.manifest.size).toBe(bytes.length);
  expect(built.manifest.chunkSize).toBe(chunkSize);
  expect(built.chunks.length).toBe(chunkCount(bytes.length, chunkSize));
  expect(concat(built.chunks)).toEqual(bytes);
  verifyManifest(built.manifest, built.address);
  for (const [i, chunk] of built.chunks.entries()) verifyChunk(built.manifest, i, chunk);
  expect(addressHex(built.address)).toBe(referenceAddress(bytes));
  return addressHex(built.address);
}

describe('building blobs', () => {
  it('splits and addresses blobs of 0, 1, segment±1, chunk±1 and several chunks (default chunk size)', () => {
    for (const [n, size] of DEFAULT_EDGE_SIZES.entries()) checkBuilt(content(size, n), DEFAULT_CHUNK_SIZE);
  });

  it('round-trips any size and content, with one address whatever the chunk size', () => {
    fc.assert(
      fc.property(arbSize, fc.integer(), (size, seed) => {
        const bytes = content(size, seed);
        const address = checkBuilt(bytes, SMALL_CHUNK);
        expect(checkBuilt(bytes, 2 * SMALL_CHUNK)).toBe(address);
        expect(addressHex(buildBlob(bytes, DEFAULT_CHUNK_SIZE).address)).toBe(address);
      }),
      { numRuns: 60 },
    );
  });

  it('gives a stable address that only the content decides', () => {
    // Pinned: a change of tags, tree shape or size encoding would change every address in the network.
    const pinned = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + 3) & 0xff);
    expect(addressHex(buildBlob(new Uint8Array(0)).address)).toBe(
      'ee721f8b42b6fee754ae67d85bbd748978dca87a1886f5b2cd03aa5557f37652',
    );
    expect(addressHex(buildBlob(new TextEncoder().encode('abc')).address)).toBe(
      '7c293a4582699da229af618137709c2a68a0dac4e2710475976269c27577dc58',
    );
    expect(addressHex(buildBlob(pinned).address)).toBe('f81924c277491cbd1f9cc13a1ea84ee87f95da1ce478400c87f22d9acda45c0c');
    fc.assert(
      fc.property(arbSize.filter((n) => n > 0), fc.integer(), fc.nat(), fc.nat(7), (size, seed, at, bit) => {
        const bytes = content(size, seed);
        const address = addressHex(buildBlob(bytes, SMALL_CHUNK).address);
        expect(addressHex(buildBlob(bytes.slice(), SMALL_CHUNK).address)).toBe(address);
        expect(addressHex(buildBlob(flipped(bytes, at % size, bit), SMALL_CHUNK).address)).not.toBe(address);
        expect(addressHex(buildBlob(bytes.subarray(0, size - 1), SMALL_CHUNK).address)).not.toBe(address);
      }),
      { numRuns: 60 },
    );
  });

  it('streams: pieces of any sizes give the chunks and the address of the whole', () => {
    fc.assert(
      fc.property(arbSize, fc.integer(), fc.array(fc.nat(3 * SMALL_CHUNK), { maxLength: 12 }), (size, seed, cuts) => {
        const bytes = content(size, seed);
        const whole = buildBlob(bytes, SMALL_CHUNK);
        const builder = new BlobBuilder(SMALL_CHUNK);
        const chunks: Uint8Array[] = [];
        const points = [...new Set(cuts.map((c) => Math.min(c, size)))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...points, size]) {
          for (const chunk of builder.push(bytes.subarray(from, to))) {
            expect(chunk.index).toBe(chunks.length);
            chunks.push(chunk.data);
          }
          from = to;
        }
        const end = builder.finish();
        if (end.last !== undefined) chunks.push(end.last.data);
        expect(end.address).toEqual(whole.address);
        expect(end.manifest).toEqual(whole.manifest);
        expect(chunks).toEqual(whole.chunks);
      }),
      { numRuns: 60 },
    );
  });

  it('streams from an async source, awaiting each chunk before reading on', async () => {
    const bytes = content(3 * SMALL_CHUNK + 5, 3);
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 5000) {
        events.push(`read ${i}`);
        yield bytes.subarray(i, i + 5000);
      }
    }
    const events: string[] = [];
    const got: Uint8Array[] = [];
    const built = await buildBlobFromStream(
      pieces(),
      async (chunk) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        events.push(`chunk ${chunk.index}`);
        got.push(chunk.data);
      },
      SMALL_CHUNK,
    );
    expect(built.address).toEqual(buildBlob(bytes, SMALL_CHUNK).address);
    expect(concat(got)).toEqual(bytes);
    // Chunk 0 completes with the piece at 15000 and is handled before the piece at 20000 is read.
    expect(events.indexOf('chunk 0')).toBeLessThan(events.indexOf('read 20000'));
    expect(events.indexOf('chunk 0')).toBeGreaterThan(events.indexOf('read 15000'));
  });

  it('hands over a chunk as soon as its last byte arrives, not with the next piece', () => {
    const builder = new BlobBuilder(SMALL_CHUNK);
    expect(builder.push(new Uint8Array(SMALL_CHUNK - 1))).toEqual([]);
    expect(builder.push(new Uint8Array(1)).map((c) => c.index)).toEqual([0]);
    expect(builder.push(new Uint8Array(2 * SMALL_CHUNK)).map((c) => c.index)).toEqual([1, 2]);
    expect(builder.finish().last).toBeUndefined();
  });

  it('refuses to grow past the largest blob, and to be used after finish', () => {
    const builder = new BlobBuilder(SEGMENT_SIZE);
    expect(codeOf(() => builder.push(new Uint8Array(MAX_CHUNKS * SEGMENT_SIZE + 1)), BlobError)).toBe('TOO_LARGE');
    builder.push(new Uint8Array(10));
    expect(builder.finish().manifest.size).toBe(10);
    expect(codeOf(() => builder.push(new Uint8Array(1)), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => builder.finish(), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => new BlobBuilder(5000), BlobError)).toBe('MALFORMED');
  });
});
