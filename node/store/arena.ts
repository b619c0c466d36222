/**
 * Memory for node bytes. Allocating an ArrayBuffer per node costs ~2 µs (and V8's external-memory accounting),
 * a tenth of a commit's budget per thousand nodes; carving nodes out of 1 MiB chunks costs nothing, and a node
 * addresses its bytes as (chunk, offset) so no view object is made per node either.
 *
 * Chunks are recycled: compaction (SqliteEngine.maybeCompact) copies every cached node into a new arena and
 * hands the old arena's chunks back to the pool. That is safe because only cached nodes keep references into
 * chunks beyond a single call — a lazy scan works on snapshots that own their bytes — and it matters: fresh
 * external allocations make V8 run full garbage collections (one per ~64 MB), which cost more than the
 * commits themselves once the heap is large.
 */
export const CHUNK_SIZE = 1 << 20;

export class NodeArena {
  /** The chunk holding the last allocation. */
  current: Buffer;
  /** Every chunk this arena carved from (returned to the pool when the arena is retired). */
  readonly chunks: Buffer[] = [];
  private readonly pool: Buffer[];
  private chunk: Buffer;
  private used = 0;
  /** Bytes handed out since this arena was made. */
  allocated = 0;

  constructor(pool: Buffer[] = []) {
    this.pool = pool;
    this.chunk = this.newChunk();
    this.current = this.chunk;
  }

  private newChunk(): Buffer {
    const chunk = this.pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE);
    this.chunks.push(chunk);
    return chunk;
  }

  /** Reserves `size` bytes and returns their offset in `current`. */
  alloc(size: number): number {
    this.allocated += size;
    if (size > CHUNK_SIZE >> 4) {
      this.current = Buffer.allocUnsafeSlow(size);
      return 0;
    }
    if (this.used + size > CHUNK_SIZE) {
      this.chunk = this.newChunk();
      this.used = 0;
    }
    this.current = this.chunk;
    const offset = this.used;
    this.used += size;
    return offset;
  }
}
