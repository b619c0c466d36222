/**
 * The binary Merkle tree over a blob's segments.
 *
 * - leaf = SHA-256('AME-BLOB-LEAF-v1' ‖ 0x00 ‖ segment), node = SHA-256('AME-BLOB-NODE-v1' ‖ 0x00 ‖ left ‖ right):
 *   distinct tags keep a leaf from ever being read as a node (second preimages that present an inner node as
 *   data) and keep these hashes apart from every other AME hash.
 * - Built level by level; a level of odd width promotes its last node unchanged. With that rule, the tree over
 *   the leaves of a run of 2^k leaves starting at a multiple of 2^k is exactly a subtree of the whole tree, also
 *   for the short run at the end. So a chunk's root (format.ts aligns chunks that way) is a node of the blob's
 *   tree, and the tree over the chunk roots has the same top as the tree over all leaves: the top depends on the
 *   content only, never on the chunk size.
 * - The top alone does not commit to the leaf count; the content address adds the size (address.ts), which fixes
 *   the count and with it the shape of every path.
 * - A path lists sibling hashes from the leaf up, skipping levels where the node was promoted; which levels those
 *   are follows from the index and the count, so a path carries no direction bits and a path of the wrong length
 *   is refused rather than ignored.
 */
import { domainSeparated, merkleLevelUp, sha256 } from '../../crypto/index.ts';

export const LEAF_TAG = 'AME-BLOB-LEAF-v1';
export const NODE_TAG = 'AME-BLOB-NODE-v1';
export const HASH_LENGTH = 32;

export function segmentLeaf(segment: Uint8Array): Uint8Array {
  return sha256(domainSeparated(LEAF_TAG, segment));
}

export function merkleNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(domainSeparated(NODE_TAG, left, right));
}

const nextLevel = (level: readonly Uint8Array[]): Uint8Array[] => merkleLevelUp(level, merkleNode);

/** The top over already-hashed nodes (leaves or subtree roots); at least one. */
export function merkleTop(nodes: readonly Uint8Array[]): Uint8Array {
  if (nodes.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  let level: readonly Uint8Array[] = nodes;
  while (level.length > 1) level = nextLevel(level);
  return level[0] as Uint8Array;
}

/** The sibling path of node `index` up to the top of the tree over `nodes`. */
export function merklePath(nodes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= nodes.length) {
    throw new RangeError(`leaf index ${index} is outside 0..${nodes.length - 1}`);
  }
  const path: Uint8Array[] = [];
  let level: readonly Uint8Array[] = nodes;
  let position = index;
  while (level.length > 1) {
    const sibling = level[position ^ 1];
    if (sibling !== undefined) path.push(sibling);
    level = nextLevel(level);
    position = Math.floor(position / 2);
  }
  return path;
}

/**
 * The top that `path` implies for `leaf` at `index` of `count` leaves, or undefined when index and count do not
 * fit or the path is not exactly as long as they call for.
 */
export function topFromPath(
  leaf: Uint8Array,
  index: number,
  count: number,
  path: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    return undefined;
  }
  let node = leaf;
  let position = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    const siblingAt = position ^ 1;
    if (siblingAt < width) {
      const sibling = path[used];
      if (sibling === undefined || sibling.length !== HASH_LENGTH) return undefined;
      used += 1;
      node = position % 2 === 0 ? merkleNode(node, sibling) : merkleNode(sibling, node);
    }
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  return used === path.length ? node : undefined;
}
