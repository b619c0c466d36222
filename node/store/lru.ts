/**
 * A bounded cache with approximately-LRU eviction in two generations: new entries and hits go into the young
 * map; when it reaches half the capacity the old map is dropped whole and the young one becomes old. A hit costs
 * one Map lookup (two on an old hit), never a reordering, which matters on the get path where every level of
 * the tree is a cache lookup. At most `capacity` entries are held.
 */
export class GenerationalCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: string): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) {
      this.hits += 1;
      return young;
    }
    const old = this.old.get(key);
    if (old === undefined) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    this.old.delete(key);
    this.set(key, old);
    return old;
  }

  /** A lookup that neither promotes the entry nor counts as a hit or miss. */
  peek(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  *values(): IterableIterator<V> {
    yield* this.young.values();
    yield* this.old.values();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
