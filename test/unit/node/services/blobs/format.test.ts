import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertBlobSize,
  BlobError,
  chunkCount,
  chunkLength,
  DEFAULT_CHUNK_SIZE,
  isChunkSize,
  MAX_BLOB_SIZE,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  maxBlobSize,
  SEGMENT_SIZE,
  segmentCount,
  segmentLength,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';

const chunkSizes = [SEGMENT_SIZE, 2 * SEGMENT_SIZE, 64 * 1024, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE];

describe('blob geometry', () => {
  it('admits power-of-two chunk sizes from one segment to 1 MiB only', () => {
    for (const size of chunkSizes) expect(isChunkSize(size)).toBe(true);
    for (const size of [0, 1, SEGMENT_SIZE / 2, 3 * SEGMENT_SIZE, 2 * MAX_CHUNK_SIZE, NaN, 4096.5, -4096]) {
      expect(isChunkSize(size)).toBe(false);
    }
  });

  it('keeps a default chunk, in its manifest and as one message, under the RLDP limit', () => {
    // A chunk and the largest manifest (35 bytes a root) must each fit one default RLDP message (4 MiB).
    expect(MAX_CHUNK_SIZE).toBeLessThan(4 * 1024 * 1024);
    expect(MAX_CHUNKS * 35).toBeLessThan(4 * 1024 * 1024);
    expect(MAX_BLOB_SIZE).toBe(4 * 1024 ** 3);
  });

  it('splits any size into chunks and segments that add up, none empty, only the last one short', () => {
    fc.assert(
      fc.property(fc.nat(MAX_BLOB_SIZE), fc.constantFrom(...chunkSizes), (size, chunkSize) => {
        const chunks = chunkCount(size, chunkSize);
        if (chunks > 0) {
          expect(chunkLength(size, chunkSize, chunks - 1)).toBeGreaterThan(0);
          expect(chunkLength(size, chunkSize, chunks - 1)).toBeLessThanOrEqual(chunkSize);
          expect((chunks - 1) * chunkSize + chunkLength(size, chunkSize, chunks - 1)).toBe(size);
          expect(chunkLength(size, chunkSize, 0)).toBe(Math.min(size, chunkSize));
        } else {
          expect(size).toBe(0);
        }
        const segments = segmentCount(size);
        if (segments > 0) {
          const last = segmentLength(size, segments - 1);
          expect(last).toBeGreaterThan(0);
          expect((segments - 1) * SEGMENT_SIZE + last).toBe(size);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('caps a blob at MAX_CHUNKS chunks and at MAX_BLOB_SIZE', () => {
    expect(maxBlobSize(SEGMENT_SIZE)).toBe(MAX_CHUNKS * SEGMENT_SIZE);
    expect(maxBlobSize(MAX_CHUNK_SIZE)).toBe(MAX_BLOB_SIZE);
    expect(codeOf(() => assertBlobSize(MAX_BLOB_SIZE, DEFAULT_CHUNK_SIZE), BlobError)).toBeUndefined();
    expect(codeOf(() => assertBlobSize(MAX_BLOB_SIZE + 1, DEFAULT_CHUNK_SIZE), BlobError)).toBe('TOO_LARGE');
    expect(codeOf(() => assertBlobSize(MAX_CHUNKS * SEGMENT_SIZE + 1, SEGMENT_SIZE), BlobError)).toBe('TOO_LARGE');
    expect(codeOf(() => assertBlobSize(-1, SEGMENT_SIZE), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => assertBlobSize(1.5, SEGMENT_SIZE), BlobError)).toBe('MALFORMED');
  });
});
