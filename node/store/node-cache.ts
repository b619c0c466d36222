/**
 * The cache of decoded internal nodes, bounded by a node count. Nodes of the newest tree are found by path
 * alone: a commit's new node replaces the older one at its path in place (no eviction of the node it made stale,
 * no version in the key), and a lookup checks the version it found. One map per depth keyed by the path's
 * nibbles as a small integer, so the few thousand upper nodes every walk passes stay in small maps and no key
 * object is kept per node (paths deeper than 7 nibbles, rare, use a string-keyed map). While the cache is under
 * its capacity nothing else happens — the live tree's nodes simply stay. Over capacity, a tenth of the entries
 * is dropped in bulk, deepest first and oldest-inserted first, which costs nothing per hit; a path dropped this
 * way comes back on its next miss. Nodes of older versions, met by reads of old versions, go to a smaller
 * generational cache keyed by (version, path).
 */
import { GenerationalCache } from './lru.ts';
import type { InternalNode } from './node-codec.ts';

const NUMERIC_DEPTH = 7;

function pathNumber(path: string): number {
  let value = 0;
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    value = (value << 4) | (code <= 57 ? code - 48 : code - 87);
  }
  return value;
}

export class NodeCache {
  private readonly byDepth: Map<number, InternalNode>[] = [];
  private readonly deep = new Map<string, InternalNode>();
  private readonly byVersion: GenerationalCache<InternalNode>;
  private readonly capacity: number;
  private count = 0;
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(16, capacity);
    for (let d = 0; d <= NUMERIC_DEPTH; d++) this.byDepth.push(new Map());
    this.byVersion = new GenerationalCache(Math.max(16, capacity >> 3));
  }

  private latest(path: string): InternalNode | undefined {
    return path.length <= NUMERIC_DEPTH ? this.byDepth[path.length]!.get(pathNumber(path)) : this.deep.get(path);
  }

  /**
   * The get path's lookup: the node at the first `depth` nibbles of a key, given those nibbles as a number
   * (kept by the walk), so no path string is built on a hit. undefined means: ask get() with the path.
   */
  getOnPath(version: number, depth: number, pathNumber: number): InternalNode | undefined {
    if (depth > NUMERIC_DEPTH) return undefined;
    const latest = this.byDepth[depth]!.get(pathNumber);
    if (latest === undefined || latest.version !== version) return undefined;
    this.hits += 1;
    return latest;
  }

  get(version: number, path: string): InternalNode | undefined {
    const latest = this.latest(path);
    if (latest !== undefined && latest.version === version) {
      this.hits += 1;
      return latest;
    }
    const older = this.byVersion.get(`${version}/${path}`);
    if (older !== undefined) this.hits += 1;
    else this.misses += 1;
    return older;
  }

  /** A node just written: the newest at its path. */
  putNew(path: string, node: InternalNode): void {
    let before: number;
    let after: number;
    if (path.length <= NUMERIC_DEPTH) {
      const map = this.byDepth[path.length]!;
      before = map.size;
      map.set(pathNumber(path), node);
      after = map.size;
    } else {
      before = this.deep.size;
      this.deep.set(path, node);
      after = this.deep.size;
    }
    this.count += after - before;
    if (this.count > this.capacity) this.evict();
  }

  /** A node read from the database, maybe of an old version. */
  putLoaded(path: string, node: InternalNode): void {
    const latest = this.latest(path);
    if (latest === undefined || latest.version <= node.version) this.putNew(path, node);
    else this.byVersion.set(`${node.version}/${path}`, node);
  }

  /** Drops the entries inserted longest ago, deepest maps first (upper nodes are few and on every walk). */
  private evict(): void {
    let drop = this.count - Math.floor(this.capacity * 0.9);
    const maps: Map<unknown, InternalNode>[] = [this.deep, ...[...this.byDepth].reverse()];
    for (const map of maps) {
      for (const key of map.keys()) {
        if (drop <= 0) return;
        map.delete(key);
        drop -= 1;
        this.count -= 1;
      }
    }
  }

  *values(): IterableIterator<InternalNode> {
    for (const map of this.byDepth) yield* map.values();
    yield* this.deep.values();
    yield* this.byVersion.values();
  }

  clear(): void {
    for (const map of this.byDepth) map.clear();
    this.deep.clear();
    this.count = 0;
    this.byVersion.clear();
  }

  get size(): number {
    return this.count + this.byVersion.size;
  }
}
