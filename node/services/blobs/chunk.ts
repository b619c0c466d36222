/**
 * Chunks: their segments, their roots, and the check a chunk passes before it is accepted from anyone (a
 * client's upload, a sibling's hand-over, a fetch for a reader).
 */
import { bytesEqual } from '../../crypto/index.ts';
import { BlobError } from './errors.ts';
import { chunkLength, SEGMENT_SIZE } from './format.ts';
import type { Manifest } from './manifest.ts';
import { merkleTop, segmentLeaf } from './merkle.ts';

/** The leaf hashes of a chunk's segments, in order. */
export function chunkLeaves(data: Uint8Array): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += SEGMENT_SIZE) {
    leaves.push(segmentLeaf(data.subarray(offset, offset + SEGMENT_SIZE)));
  }
  return leaves;
}

/** The root of a (non-empty) chunk: the top of the tree over its segments. */
export function chunkRoot(data: Uint8Array): Uint8Array {
  return merkleTop(chunkLeaves(data));
}

/**
 * Accepts chunk `index` of the blob `manifest` describes, or throws: BAD_RANGE for an index the blob does not
 * have, MALFORMED for a length other than the chunk's, HASH_MISMATCH for content whose root is not the listed one.
 */
export function verifyChunk(manifest: Manifest, index: number, data: Uint8Array): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= manifest.chunkRoots.length) {
    throw new BlobError('BAD_RANGE', `chunk ${index} is outside the blob's ${manifest.chunkRoots.length} chunks`);
  }
  const expected = chunkLength(manifest.size, manifest.chunkSize, index);
  if (!(data instanceof Uint8Array) || data.length !== expected) {
    throw new BlobError('MALFORMED', `chunk ${index} must be ${expected} bytes`);
  }
  if (!bytesEqual(chunkRoot(data), manifest.chunkRoots[index] as Uint8Array)) {
    throw new BlobError('HASH_MISMATCH', `chunk ${index} does not match its root in the manifest`);
  }
}
