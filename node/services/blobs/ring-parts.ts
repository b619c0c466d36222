/**
 * Blobs as parts on the Worker Ring: one manifest part and one part per chunk, each a ring value of kind
 * 'checked' with scheme BLOB_PART_SCHEME. Every replica runs `checkBlobPart` on a part before storing it and
 * trusts nobody: a part carries the blob address and everything needed to check itself against it alone.
 *
 * - Manifest part, key = the address: canonical CBOR {kind: 'manifest', address, size, chunkSize, roots}; it
 *   checks when the manifest leads to the address (verifyManifest).
 * - Chunk part, key = address[0..28) ‖ u32be(index + 1): {kind: 'chunk', address, index, size, chunkSize, path,
 *   chunk}, with `path` the sibling path of the chunk's root in the tree over all chunk roots (merkle.ts); it
 *   checks when the chunk has its length and root → path → top → blobAddress(size, top) gives the address. The
 *   keys of a blob's parts share the address's first 28 bytes, so they sit next to it in key space (in one
 *   range, save at a range boundary) and move with it on a split.
 *
 * The chunk size is not part of the address, so one blob has valid parts for every chunk size: two replicas may
 * hold different (each valid) values under one key. A reader takes a part's geometry from the part itself.
 */
import { bytesEqual, merkleLevelUp } from '../../crypto/index.ts';
import { s, type CborValue, type Schema } from '../../wire/index.ts';
import { ADDRESS_LENGTH, blobAddress } from './address.ts';
import { chunkRoot, verifyChunk } from './chunk.ts';
import { decodeCanonical, encodeCanonical } from './codec.ts';
import { BlobError } from './errors.ts';
import {
  assertBlobSize,
  assertChunkSize,
  chunkCount,
  chunkLength,
  MAX_BLOB_SIZE,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
} from './format.ts';
import { checkManifest, type Manifest, verifyManifest } from './manifest.ts';
import { HASH_LENGTH, merkleNode, topFromPath } from './merkle.ts';

export const BLOB_PART_SCHEME = 'blob-part-v1';
/** Bytes of the address a chunk key keeps; the last four carry u32be(index + 1). */
export const CHUNK_KEY_PREFIX = ADDRESS_LENGTH - 4;
/** The depth of a tree over MAX_CHUNKS chunk roots: no chunk path is longer. */
export const MAX_CHUNK_PATH = Math.ceil(Math.log2(MAX_CHUNKS));
/**
 * The largest encoded part: a chunk of MAX_CHUNK_SIZE with the longest path and every field at its maximum needs
 * ~600 bytes beside the chunk (a manifest part of MAX_CHUNKS roots is ~560 KiB). Below the ring's
 * MAX_RING_VALUE_SIZE (1 MiB + 8192) with room for the value's own envelope.
 */
export const MAX_BLOB_PART_SIZE = MAX_CHUNK_SIZE + 2048;

export type BlobPart =
  | { readonly kind: 'manifest'; readonly address: Uint8Array; readonly manifest: Manifest }
  | {
      readonly kind: 'chunk';
      readonly address: Uint8Array;
      readonly index: number;
      readonly size: number;
      readonly chunkSize: number;
      readonly path: readonly Uint8Array[];
      readonly chunk: Uint8Array;
    };

function assertAddress(address: Uint8Array): void {
  if (!(address instanceof Uint8Array) || address.length !== ADDRESS_LENGTH) {
    throw new BlobError('MALFORMED', `a blob address is ${ADDRESS_LENGTH} bytes`);
  }
}

/** The ring key of the manifest part: the blob address itself. */
export function manifestPartKey(address: Uint8Array): Uint8Array {
  assertAddress(address);
  return address.slice();
}

/**
 * The ring key of chunk `index`: the address's first 28 bytes then u32be(index + 1), so a blob's parts sit next
 * to its address in key space (one Unity, save at a range boundary) and move with it on a split.
 */
export function chunkPartKey(address: Uint8Array, index: number): Uint8Array {
  assertAddress(address);
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_CHUNKS) {
    throw new BlobError('BAD_RANGE', `chunk index ${index} is outside 0…${MAX_CHUNKS - 1}`);
  }
  const key = new Uint8Array(ADDRESS_LENGTH);
  key.set(address.subarray(0, CHUNK_KEY_PREFIX));
  new DataView(key.buffer).setUint32(CHUNK_KEY_PREFIX, index + 1);
  return key;
}

export function partKey(part: BlobPart): Uint8Array {
  return part.kind === 'manifest' ? manifestPartKey(part.address) : chunkPartKey(part.address, part.index);
}

// --- building parts --------------------------------------------------------------------------------------------

interface Tree {
  readonly address: Uint8Array;
  /** levels[0] = the chunk roots, the last level = [top]. */
  readonly levels: readonly (readonly Uint8Array[])[];
}

/**
 * A checked manifest's address and tree over its chunk roots, computed once per manifest object: building all n
 * chunk parts then costs n paths of log n nodes, not n trees (a caller that mutates a manifest it passed in gets
 * parts the replicas refuse, nothing worse).
 */
const trees = new WeakMap<Manifest, Tree>();

function treeOf(manifest: Manifest): Tree {
  const cached = trees.get(manifest);
  if (cached !== undefined) return cached;
  checkManifest(manifest);
  const levels: (readonly Uint8Array[])[] = [manifest.chunkRoots];
  while ((levels.at(-1) as readonly Uint8Array[]).length > 1) {
    levels.push(merkleLevelUp(levels.at(-1) as readonly Uint8Array[], merkleNode));
  }
  const last = levels.at(-1) as readonly Uint8Array[];
  const top = manifest.chunkRoots.length === 0 ? undefined : (last[0] as Uint8Array);
  const tree: Tree = { address: blobAddress(manifest.size, top), levels };
  trees.set(manifest, tree);
  return tree;
}

/** merklePath(manifest.chunkRoots, index), read off the tree. */
function pathOf(tree: Tree, index: number): Uint8Array[] {
  const path: Uint8Array[] = [];
  let position = index;
  for (const level of tree.levels.slice(0, -1)) {
    const sibling = level[position ^ 1];
    if (sibling !== undefined) path.push(sibling);
    position = Math.floor(position / 2);
  }
  return path;
}

function treeFor(address: Uint8Array, manifest: Manifest): Tree {
  assertAddress(address);
  const tree = treeOf(manifest);
  if (!bytesEqual(tree.address, address)) {
    throw new BlobError('HASH_MISMATCH', 'manifest does not lead to the content address');
  }
  return tree;
}

/** The manifest part; MALFORMED / TOO_LARGE for a bad manifest, HASH_MISMATCH unless it leads to `address`. */
export function manifestPart(address: Uint8Array, manifest: Manifest): BlobPart {
  treeFor(address, manifest);
  return { kind: 'manifest', address, manifest };
}

/**
 * The part of chunk `index`, its path taken from the tree over manifest.chunkRoots. The manifest must lead to
 * `address` (HASH_MISMATCH) and the chunk pass verifyChunk (BAD_RANGE, MALFORMED, HASH_MISMATCH).
 */
export function chunkPart(address: Uint8Array, manifest: Manifest, index: number, chunk: Uint8Array): BlobPart {
  const tree = treeFor(address, manifest);
  verifyChunk(manifest, index, chunk);
  return {
    kind: 'chunk',
    address,
    index,
    size: manifest.size,
    chunkSize: manifest.chunkSize,
    path: pathOf(tree, index),
    chunk,
  };
}

/**
 * The manifest part, then a part for each chunk given in index order: an array must hold every chunk of the blob
 * (MALFORMED otherwise), a map any of them.
 */
export function blobPartsOf(
  address: Uint8Array,
  manifest: Manifest,
  chunks: ReadonlyMap<number, Uint8Array> | readonly Uint8Array[],
): BlobPart[] {
  const parts = [manifestPart(address, manifest)];
  let entries: [number, Uint8Array][];
  if (Array.isArray(chunks)) {
    const list = chunks as readonly Uint8Array[];
    if (list.length !== manifest.chunkRoots.length) {
      throw new BlobError('MALFORMED', `${list.length} chunks given for a blob of ${manifest.chunkRoots.length}`);
    }
    entries = [...list.entries()];
  } else {
    entries = [...(chunks as ReadonlyMap<number, Uint8Array>).entries()].sort(([a], [b]) => a - b);
  }
  for (const [index, chunk] of entries) parts.push(chunkPart(address, manifest, index, chunk));
  return parts;
}

// --- encoding ----------------------------------------------------------------------------------------------------

const manifestPartSchema = s.struct({
  kind: s.literal('manifest'),
  address: s.bytes({ len: ADDRESS_LENGTH }),
  size: s.uint({ max: MAX_BLOB_SIZE }),
  chunkSize: s.uint({ max: MAX_CHUNK_SIZE }),
  roots: s.array(s.bytes({ len: HASH_LENGTH }), { max: MAX_CHUNKS }),
});

const chunkPartSchema = s.struct({
  kind: s.literal('chunk'),
  address: s.bytes({ len: ADDRESS_LENGTH }),
  index: s.uint({ max: MAX_CHUNKS - 1 }),
  size: s.uint({ max: MAX_BLOB_SIZE }),
  chunkSize: s.uint({ max: MAX_CHUNK_SIZE }),
  path: s.array(s.bytes({ len: HASH_LENGTH }), { max: MAX_CHUNK_PATH }),
  chunk: s.bytes({ min: 1, max: MAX_CHUNK_SIZE }),
});

type RawPart =
  | { readonly which: 'manifest'; readonly raw: ReturnType<typeof manifestPartSchema.parse> }
  | { readonly which: 'chunk'; readonly raw: ReturnType<typeof chunkPartSchema.parse> };

/** Dispatches on `kind`; the struct schemas refuse everything else (a non-map, unknown or missing fields). */
const partSchema: Schema<RawPart> = {
  expected: 'blob part',
  parse(value, path) {
    const kind =
      typeof value === 'object' && value !== null && Object.hasOwn(value, 'kind')
        ? (value as Record<string, unknown>)['kind']
        : undefined;
    if (kind === 'chunk') return { which: 'chunk', raw: chunkPartSchema.parse(value, path) };
    // Anything else gets the manifest schema's refusal (a non-map, a missing or unknown kind).
    return { which: 'manifest', raw: manifestPartSchema.parse(value, path) };
  },
};

/** How many siblings the path of node `index` of `count` has (topFromPath's walk without the hashing). */
function pathLength(index: number, count: number): number {
  let length = 0;
  let position = index;
  for (let width = count; width > 1; width = Math.ceil(width / 2)) {
    if ((position ^ 1) < width) length += 1;
    position = Math.floor(position / 2);
  }
  return length;
}

/** Canonical CBOR of a part (its fields are checked: MALFORMED / TOO_LARGE / BAD_RANGE, never hashes). */
export function encodeBlobPart(part: BlobPart): Uint8Array {
  assertAddress(part.address);
  let value: CborValue;
  if (part.kind === 'manifest') {
    checkManifest(part.manifest);
    value = {
      kind: 'manifest',
      address: part.address,
      size: part.manifest.size,
      chunkSize: part.manifest.chunkSize,
      roots: [...part.manifest.chunkRoots],
    };
  } else {
    checkChunkFields(part);
    value = {
      kind: 'chunk',
      address: part.address,
      index: part.index,
      size: part.size,
      chunkSize: part.chunkSize,
      path: [...part.path],
      chunk: part.chunk,
    };
  }
  return encodeCanonical(value, 'blob part');
}

/** MALFORMED / TOO_LARGE unless a chunk part's geometry agrees with itself (no hashing). */
function checkChunkFields(part: Extract<BlobPart, { kind: 'chunk' }>): void {
  assertChunkSize(part.chunkSize);
  assertBlobSize(part.size, part.chunkSize);
  const count = chunkCount(part.size, part.chunkSize);
  if (!Number.isSafeInteger(part.index) || part.index < 0 || part.index >= count) {
    throw new BlobError('MALFORMED', `chunk index ${part.index} is outside the blob's ${count} chunks`);
  }
  const length = chunkLength(part.size, part.chunkSize, part.index);
  if (!(part.chunk instanceof Uint8Array) || part.chunk.length !== length) {
    throw new BlobError('MALFORMED', `chunk ${part.index} must be ${length} bytes`);
  }
  const expected = pathLength(part.index, count);
  if (part.path.length !== expected || part.path.some((h) => !(h instanceof Uint8Array) || h.length !== HASH_LENGTH)) {
    throw new BlobError('MALFORMED', `chunk ${part.index} of ${count} needs a path of ${expected} hashes`);
  }
}

/** Strict decoder of untrusted bytes: MALFORMED / TOO_LARGE only. Checks shape and geometry, not hashes. */
export function decodeBlobPart(bytes: Uint8Array): BlobPart {
  const decoded = decodeCanonical(bytes, MAX_BLOB_PART_SIZE, partSchema, 'blob part');
  if (decoded.which === 'manifest') {
    const { address, size, chunkSize, roots } = decoded.raw;
    const manifest: Manifest = { size, chunkSize, chunkRoots: roots };
    checkManifest(manifest);
    return { kind: 'manifest', address, manifest };
  }
  const { address, index, size, chunkSize, path, chunk } = decoded.raw;
  const part: BlobPart = { kind: 'chunk', address, index, size, chunkSize, path, chunk };
  checkChunkFields(part);
  return part;
}

// --- checking ----------------------------------------------------------------------------------------------------

/**
 * HASH_MISMATCH unless the part leads to its address: the manifest by verifyManifest, the chunk by root → path →
 * top → blobAddress(size, top). The part's fields must already be checked (decodeBlobPart or encodeBlobPart).
 */
export function verifyBlobPart(part: BlobPart): void {
  if (part.kind === 'manifest') {
    verifyManifest(part.manifest, part.address);
    return;
  }
  const count = chunkCount(part.size, part.chunkSize);
  const top = topFromPath(chunkRoot(part.chunk), part.index, count, part.path);
  if (top === undefined || !bytesEqual(blobAddress(part.size, top), part.address)) {
    throw new BlobError('HASH_MISMATCH', `chunk ${part.index} does not lead to the content address`);
  }
}

/**
 * The ring's checker for BLOB_PART_SCHEME: decodes (MALFORMED / TOO_LARGE), refuses a part under any key but
 * partKey(part) (KEY_MISMATCH, checked before any hashing) and one that does not lead to its address
 * (HASH_MISMATCH). Returns the part.
 */
export function checkBlobPart(key: Uint8Array, bytes: Uint8Array): BlobPart {
  const part = decodeBlobPart(bytes);
  if (!(key instanceof Uint8Array) || !bytesEqual(key, partKey(part))) {
    throw new BlobError('KEY_MISMATCH', `a ${part.kind} part under a key other than its own`);
  }
  verifyBlobPart(part);
  return part;
}
