/**
 * The binary Merkle tree over one batch's entry hashes.
 *
 * - leaf = SHA-256(0x00 ‖ h_i), node = SHA-256(0x01 ‖ left ‖ right): the prefixes keep a leaf from ever being
 *   read as a node (second-preimage attacks that present an inner node as an entry).
 * - The tree is built level by level; a level of odd width promotes its last node unchanged to the next level.
 *   Promoting rather than duplicating it (as Bitcoin does) means no two different leaf lists share a root
 *   through a repeated last element.
 * - root = SHA-256(0x02 ‖ u64 leaf count ‖ top node). A bare binary tree does not commit to its width (the
 *   left-edge leaf of 5 and of 6 leaves has the same path shape), so without the count a root alone would let
 *   a proof claim another batch size; with it, a root pins the entry's position and the batch's seq range.
 * - A batch is never empty; a one-entry batch's top node is its leaf.
 * - A path lists the sibling hashes from the leaf up, skipping the levels where the node was promoted. Which
 *   levels those are follows from the leaf index and the leaf count, so the path carries no direction bits and
 *   a path of the wrong length is refused rather than ignored.
 */
import { merkleLevelUp } from '../crypto/index.ts';
import { hashParts, writeU64 } from './service-log-codec.ts';

const LEAF_PREFIX = new Uint8Array([0]);
const NODE_PREFIX = new Uint8Array([1]);
const ROOT_PREFIX = new Uint8Array([2]);

export function merkleLeaf(entryHash: Uint8Array): Uint8Array {
  return hashParts(LEAF_PREFIX, entryHash);
}

export function merkleNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashParts(NODE_PREFIX, left, right);
}

/** Binds the leaf count to the top node. */
export function merkleSizedRoot(count: number, top: Uint8Array): Uint8Array {
  const size = new Uint8Array(8);
  writeU64(new DataView(size.buffer), 0, count);
  return hashParts(ROOT_PREFIX, size, top);
}

const nextLevel = (level: readonly Uint8Array[]): Uint8Array[] => merkleLevelUp(level, merkleNode);

/** The root over entry hashes (not leaves: the leaf hashing is applied here). */
export function merkleRoot(entryHashes: readonly Uint8Array[]): Uint8Array {
  if (entryHashes.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  let level = entryHashes.map(merkleLeaf);
  while (level.length > 1) level = nextLevel(level);
  return merkleSizedRoot(entryHashes.length, level[0] as Uint8Array);
}

/** The root and the sibling path of the entry at `index`, from one pass over the tree. */
export function merklePath(
  entryHashes: readonly Uint8Array[],
  index: number,
): { root: Uint8Array; path: Uint8Array[] } {
  if (!Number.isSafeInteger(index) || index < 0 || index >= entryHashes.length) {
    throw new RangeError(`leaf index ${index} is outside 0..${entryHashes.length - 1}`);
  }
  const path: Uint8Array[] = [];
  let level = entryHashes.map(merkleLeaf);
  let position = index;
  while (level.length > 1) {
    const sibling = level[position ^ 1];
    if (sibling !== undefined) path.push(sibling);
    level = nextLevel(level);
    position >>>= 1;
  }
  return { root: merkleSizedRoot(entryHashes.length, level[0] as Uint8Array), path };
}

/**
 * The root that `path` implies for `entryHash` at `index` of `count` leaves, or undefined when the path does not
 * have exactly the length that index and count call for.
 */
export function merkleRootFromPath(
  entryHash: Uint8Array,
  index: number,
  count: number,
  path: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    return undefined;
  }
  let hash = merkleLeaf(entryHash);
  let position = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    // Positions are below 2^53, so halve with division: >>> would truncate them to 32 bits.
    const isRight = position % 2 === 1;
    const hasSibling = isRight || position + 1 < width;
    if (hasSibling) {
      const sibling = path[used];
      if (sibling === undefined) return undefined;
      used += 1;
      hash = isRight ? merkleNode(sibling, hash) : merkleNode(hash, sibling);
    }
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  return used === path.length ? merkleSizedRoot(count, hash) : undefined;
}
