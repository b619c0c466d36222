/**
 * The manifest of a blob: its size, its chunk size and the root of every chunk, in order. It is what a holder
 * keeps beside the chunks and what a fetcher gets first: with it, each chunk is checked on arrival (chunk.ts),
 * and the manifest itself is checked against the content address, because the tree over the chunk roots has
 * the blob's top (merkle.ts).
 *
 * Encoding: canonical CBOR {v: 1, size, chunkSize, roots: [32-byte root …]}. Everything else (chunk and segment
 * counts, lengths) follows from size and chunk size, so a decoded manifest whose root count disagrees with them
 * is refused rather than trusted.
 */
import { bytesEqual } from '../../crypto/index.ts';
import { s, type CborValue } from '../../wire/index.ts';
import { blobAddress } from './address.ts';
import { decodeCanonical, encodeCanonical } from './codec.ts';
import { BlobError } from './errors.ts';
import { assertBlobSize, assertChunkSize, chunkCount, MAX_BLOB_SIZE, MAX_CHUNK_SIZE, MAX_CHUNKS } from './format.ts';
import { HASH_LENGTH, merkleTop } from './merkle.ts';

export const MANIFEST_VERSION = 1;
/** Room for MAX_CHUNKS roots (35 bytes each with their CBOR heads) and the fixed fields. */
export const MAX_MANIFEST_SIZE = 1024 * 1024;

export interface Manifest {
  readonly size: number;
  readonly chunkSize: number;
  readonly chunkRoots: readonly Uint8Array[];
}

const manifestSchema = s.struct({
  v: s.literal(MANIFEST_VERSION),
  size: s.uint({ max: MAX_BLOB_SIZE }),
  chunkSize: s.uint({ max: MAX_CHUNK_SIZE }),
  roots: s.array(s.bytes({ len: HASH_LENGTH }), { max: MAX_CHUNKS }),
});

/** MALFORMED / TOO_LARGE unless the fields agree with each other. */
export function checkManifest(manifest: Manifest): void {
  assertChunkSize(manifest.chunkSize);
  assertBlobSize(manifest.size, manifest.chunkSize);
  const expected = chunkCount(manifest.size, manifest.chunkSize);
  if (manifest.chunkRoots.length !== expected) {
    throw new BlobError('MALFORMED', `manifest lists ${manifest.chunkRoots.length} chunk roots, its size needs ${expected}`);
  }
  for (const [i, root] of manifest.chunkRoots.entries()) {
    if (!(root instanceof Uint8Array) || root.length !== HASH_LENGTH) {
      throw new BlobError('MALFORMED', `chunk root ${i} is not ${HASH_LENGTH} bytes`);
    }
  }
}

export function encodeManifest(manifest: Manifest): Uint8Array {
  checkManifest(manifest);
  const value: CborValue = {
    v: MANIFEST_VERSION,
    size: manifest.size,
    chunkSize: manifest.chunkSize,
    roots: [...manifest.chunkRoots],
  };
  return encodeCanonical(value, 'manifest');
}

/** Strict decoder of untrusted bytes: MALFORMED / TOO_LARGE only. */
export function decodeManifest(bytes: Uint8Array): Manifest {
  const raw = decodeCanonical(bytes, MAX_MANIFEST_SIZE, manifestSchema, 'manifest');
  const manifest: Manifest = { size: raw.size, chunkSize: raw.chunkSize, chunkRoots: raw.roots };
  checkManifest(manifest);
  return manifest;
}

/** The content address the manifest stands for (its fields are assumed checked). */
export function manifestAddress(manifest: Manifest): Uint8Array {
  const top = manifest.chunkRoots.length === 0 ? undefined : merkleTop(manifest.chunkRoots);
  return blobAddress(manifest.size, top);
}

/** Checks the manifest's fields, then HASH_MISMATCH unless it stands for `address`. */
export function verifyManifest(manifest: Manifest, address: Uint8Array): void {
  checkManifest(manifest);
  if (!bytesEqual(manifestAddress(manifest), address)) {
    throw new BlobError('HASH_MISMATCH', 'manifest does not lead to the content address');
  }
}
