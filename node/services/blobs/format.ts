/**
 * The fixed geometry of a blob: segments, chunks and their limits, and the arithmetic that maps a blob's size
 * to them. Everything here follows from a size and a chunk size, so a manifest need not (and must not) repeat it.
 *
 * - A segment (4 KiB) is the leaf of the blob's Merkle tree and the unit an audit asks for: small enough that a
 *   response for many of them stays small, large enough that the tree of a 4 GiB blob is 20 levels deep.
 * - A chunk is the unit of transfer and storage: one RLDP message (4 MiB default, node/net/rldp/limits.ts) carries
 *   one with room to spare. Its size is a power-of-two multiple of the segment size, so every chunk's segments
 *   form one aligned subtree of the blob's tree and a chunk's root is a node of that tree (see merkle.ts).
 * - The last segment and the last chunk may be short; no segment or chunk is ever empty.
 */
import { BlobError } from './errors.ts';

export const SEGMENT_SIZE = 4096;
export const DEFAULT_CHUNK_SIZE = 256 * 1024;
export const MIN_CHUNK_SIZE = SEGMENT_SIZE;
export const MAX_CHUNK_SIZE = 1024 * 1024;
/** Bounds a manifest to ~540 KiB of roots, so it too fits one message. */
export const MAX_CHUNKS = 16_384;
/** 4 GiB: MAX_CHUNKS chunks of the default size; a larger chunk size does not lift it. */
export const MAX_BLOB_SIZE = MAX_CHUNKS * DEFAULT_CHUNK_SIZE;

export function isChunkSize(chunkSize: number): boolean {
  return (
    Number.isSafeInteger(chunkSize) &&
    chunkSize >= MIN_CHUNK_SIZE &&
    chunkSize <= MAX_CHUNK_SIZE &&
    (chunkSize & (chunkSize - 1)) === 0
  );
}

/** MALFORMED unless `chunkSize` is a power of two within MIN_CHUNK_SIZE…MAX_CHUNK_SIZE. */
export function assertChunkSize(chunkSize: number): void {
  if (!isChunkSize(chunkSize)) {
    throw new BlobError(
      'MALFORMED',
      `chunk size ${chunkSize} is not a power of two within ${MIN_CHUNK_SIZE}…${MAX_CHUNK_SIZE}`,
    );
  }
}

/** The largest blob a chunk size allows (MAX_CHUNKS chunks, at most MAX_BLOB_SIZE). */
export function maxBlobSize(chunkSize: number): number {
  return Math.min(MAX_BLOB_SIZE, MAX_CHUNKS * chunkSize);
}

/** TOO_LARGE (or MALFORMED for a size that is no byte count) unless `size` fits a blob of this chunk size. */
export function assertBlobSize(size: number, chunkSize: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new BlobError('MALFORMED', `blob size ${size} is not a byte count`);
  const max = maxBlobSize(chunkSize);
  if (size > max) throw new BlobError('TOO_LARGE', `blob of ${size} bytes exceeds ${max} (chunk size ${chunkSize})`);
}

export function segmentsPerChunk(chunkSize: number): number {
  return chunkSize / SEGMENT_SIZE;
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

export function segmentCount(size: number): number {
  return Math.ceil(size / SEGMENT_SIZE);
}

/** Length of chunk `index` of a blob of `size` bytes (the caller checks that the index exists). */
export function chunkLength(size: number, chunkSize: number, index: number): number {
  return Math.min(chunkSize, size - index * chunkSize);
}

/** Length of segment `index` of a blob of `size` bytes (the caller checks that the index exists). */
export function segmentLength(size: number, index: number): number {
  return Math.min(SEGMENT_SIZE, size - index * SEGMENT_SIZE);
}
