import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobError, buildBlob, chunkRoot, merkleTop, SEGMENT_SIZE, segmentLeaf, verifyChunk } from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { content, flipped, SMALL_CHUNK } from './fixtures.ts';

const blob = buildBlob(content(3 * SMALL_CHUNK + 1000, 7), SMALL_CHUNK);

describe('chunks', () => {
  it('have the root of the tree over their segments', () => {
    const data = blob.chunks[0]!;
    const leaves = [0, 1, 2, 3].map((i) => segmentLeaf(data.subarray(i * SEGMENT_SIZE, (i + 1) * SEGMENT_SIZE)));
    expect(chunkRoot(data)).toEqual(merkleTop(leaves));
    expect(chunkRoot(blob.chunks[3]!)).toEqual(segmentLeaf(blob.chunks[3]!));
  });

  it('are accepted only at their index, with their length and their bytes', () => {
    for (const [i, data] of blob.chunks.entries()) verifyChunk(blob.manifest, i, data);
    fc.assert(
      fc.property(fc.nat(blob.chunks.length - 1), fc.nat(), fc.nat(7), (i, at, bit) => {
        const data = blob.chunks[i]!;
        expect(codeOf(() => verifyChunk(blob.manifest, i, flipped(data, at % data.length, bit)), BlobError)).toBe(
          'HASH_MISMATCH',
        );
      }),
      { numRuns: 200 },
    );
    expect(codeOf(() => verifyChunk(blob.manifest, 1, blob.chunks[0]!), BlobError)).toBe('HASH_MISMATCH');
    expect(codeOf(() => verifyChunk(blob.manifest, 0, blob.chunks[0]!.subarray(1)), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => verifyChunk(blob.manifest, 3, blob.chunks[0]!), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => verifyChunk(blob.manifest, 4, blob.chunks[0]!), BlobError)).toBe('BAD_RANGE');
    expect(codeOf(() => verifyChunk(blob.manifest, -1, blob.chunks[0]!), BlobError)).toBe('BAD_RANGE');
  });
});
