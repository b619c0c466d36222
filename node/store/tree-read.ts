/**
 * Reads of one version's tree: point lookups, range scans, key counts and proofs. A lookup walks the internal
 * nodes (cached) and, when the path ends at the key's own leaf, reads that one leaf row; an absent key costs no
 * leaf read at all because parents hold their leaf children's keys.
 */
import { HASH_LENGTH, type InternalNode, LEAF, popcount16, sha256 } from './node-codec.ts';
import { hexNibble, KEY_LENGTH, keyHex, nibbleAt } from './nibble-path.ts';
import type { Proof, ProofLevel } from './proof.ts';
import type { RootRef } from './refs.ts';
import type { NodeSource } from './tree-update.ts';

export interface ReadSource extends NodeSource {
  leafValue(version: number, key: Uint8Array): Uint8Array;
  /** node(version, first `depth` nibbles of key); `pathNumber` is those nibbles as a number (valid to 7). */
  nodeOnPath(version: number, key: Uint8Array, depth: number, pathNumber: number): InternalNode;
}

/** A copy in a plain Uint8Array (Buffer#slice would return a view into a cached node's bytes). */
function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The valueVersion of `key` in the tree at `root`, or -1 when the key is absent. */
export function findLeafVersion(source: ReadSource, root: RootRef | null, key: Uint8Array): number {
  if (root === null) return -1;
  if (root.kind === LEAF) return sameKey(root.key!, key) ? root.version : -1;
  let version = root.version;
  let pathNumber = 0;
  for (let depth = 0; ; depth++) {
    const node = source.nodeOnPath(version, key, depth, pathNumber);
    const n = nibbleAt(key, depth);
    if (!node.has(n)) return -1;
    if (node.isLeaf(n)) return node.leafKeyEquals(n, key) ? node.childVersion(n) : -1;
    version = node.childVersion(n);
    pathNumber = pathNumber * 16 + n;
  }
}

export function readEntry(
  source: ReadSource,
  root: RootRef | null,
  key: Uint8Array,
): { value: Uint8Array; valueVersion: number } | undefined {
  const valueVersion = findLeafVersion(source, root, key);
  if (valueVersion < 0) return undefined;
  return { value: source.leafValue(valueVersion, key), valueVersion };
}

/** Number of keys in the tree (walks the internal nodes only). */
export function countKeys(source: NodeSource, root: RootRef | null): number {
  if (root === null) return 0;
  if (root.kind === LEAF) return 1;
  let total = 0;
  const stack: [number, string][] = [[root.version, '']];
  while (stack.length > 0) {
    const [version, path] = stack.pop()!;
    const node = source.node(version, path);
    total += popcount16(node.leafmap);
    for (let n = 0; n < 16; n++) {
      if (node.has(n) && !node.isLeaf(n)) stack.push([node.childVersion(n), path + hexNibble(n)]);
    }
  }
  return total;
}

/**
 * Keys in [from, to) in ascending order with their values. Lazy: each value is read when the iteration reaches
 * it, so a caller may stop early at no cost.
 */
export function* scanRange(
  source: ReadSource,
  root: RootRef | null,
  from: Uint8Array | undefined,
  to: Uint8Array | undefined,
): Generator<[Uint8Array, Uint8Array]> {
  if (root === null) return;
  const inRange = (key: Uint8Array): boolean =>
    (from === undefined || Buffer.compare(key, from) >= 0) && (to === undefined || Buffer.compare(key, to) < 0);
  if (root.kind === LEAF) {
    if (inRange(root.key!)) yield [copyBytes(root.key!), source.leafValue(root.version, root.key!)];
    return;
  }
  const fromHex = from === undefined ? undefined : keyHex(from);
  const toHex = to === undefined ? undefined : keyHex(to);
  function* walk(version: number, path: string): Generator<[Uint8Array, Uint8Array]> {
    // A snapshot: the cached object may describe another node by the time the caller resumes the scan.
    const node = source.node(version, path).snapshot();
    for (let n = 0; n < 16; n++) {
      if (!node.has(n)) continue;
      const child = path + hexNibble(n);
      // Every key below `child` starts with it: skip subtrees wholly before `from`, stop at those past `to`.
      if (toHex !== undefined && child > toHex.slice(0, child.length)) return;
      if (fromHex !== undefined && child < fromHex.slice(0, child.length)) continue;
      if (node.isLeaf(n)) {
        const key = node.leafKey(n);
        if (inRange(key)) yield [copyBytes(key), source.leafValue(node.childVersion(n), key)];
      } else {
        yield* walk(node.childVersion(n), child);
      }
    }
  }
  yield* walk(root.version, '');
}

/** The proof for `key` in the tree at `root` (see proof.ts for its form and verification). */
export function buildProof(source: ReadSource, root: RootRef | null, key: Uint8Array): Proof {
  const levels: ProofLevel[] = [];
  if (root === null) return { levels, leaf: null };
  let leafVersion = root.version;
  let leafKey = root.key;
  if (root.kind !== LEAF) {
    const hex = keyHex(key);
    let version = root.version;
    for (let depth = 0; ; depth++) {
      const node = source.node(version, hex.slice(0, depth));
      const n = nibbleAt(key, depth);
      const siblings = node.bitmap & ~(1 << n);
      const hashes = new Uint8Array(HASH_LENGTH * popcount16(siblings));
      let offset = 0;
      for (let m = 0; m < 16; m++) {
        if (((siblings >> m) & 1) === 0) continue;
        hashes.set(node.childHash(m), offset);
        offset += HASH_LENGTH;
      }
      levels.push({ siblings, hashes });
      if (!node.has(n)) return { levels, leaf: null };
      if (node.isLeaf(n)) {
        leafVersion = node.childVersion(n);
        leafKey = node.leafKey(n);
        break;
      }
      version = node.childVersion(n);
    }
  }
  const value = source.leafValue(leafVersion, leafKey!);
  if (sameKey(leafKey!, key)) return { levels, leaf: { key: copyBytes(key), value: copyBytes(value) } };
  return { levels, leaf: { key: copyBytes(leafKey!), valueHash: copyBytes(sha256(value)) } };
}
