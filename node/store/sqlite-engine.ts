/**
 * The SQLite side of the store: schema, pragmas, prepared statements and the node/commit caches.
 *
 * Tree rows (see row-codec.ts) live in a rowid table keyed by version × 4097 + group, and a commit inserts its
 * rows in id order, so every commit appends at the right edge of the B-tree instead of scattering random
 * inserts (what makes a table keyed by the random key slow). 16 KiB pages: a commit writes ~1 MB, and larger
 * pages cut the per-page cost of the WAL (measured: ~30% less time per commit than 4 KiB pages).
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CHUNK_SIZE, NodeArena } from './arena.ts';
import { StoreError } from './errors.ts';
import { GenerationalCache } from './lru.ts';
import { NodeCache } from './node-cache.ts';
import { decodeInternalAt, HASH_LENGTH, type InternalNode } from './node-codec.ts';
import { keyHex } from './nibble-path.ts';
import { decodeRootRef, encodeRootRef, type RootRef } from './refs.ts';
import {
  decodeNodes,
  encodeLeavesInto,
  encodeNodesInto,
  findLeaf,
  GROUP_DEPTH,
  GROUPS_PER_VERSION,
  groupOfKey,
  groupOfPath,
  type RowLeaf,
  leavesSize,
  nodesSize,
  rowId,
  UPPER_GROUP,
} from './row-codec.ts';
import {
  branchCheck,
  type BranchRow,
  INSERT_CHUNK,
  PAGE_SIZE,
  prepareAll,
  SCHEMA,
  type StateRow,
  stateCheck,
  type Statements,
  refCheck,
} from './sqlite-schema.ts';

export { branchCheck, type BranchRow, chainHash, refCheck, type StateRow, stateCheck, u64 } from './sqlite-schema.ts';

export type Durability = 'full' | 'normal';

/** Bumped when the on-disk layout changes; stored in SQLite's user_version. */
export const FORMAT_VERSION = 1;

export interface CommitInfo {
  readonly version: number;
  readonly parent: number;
  readonly root: Uint8Array;
  readonly ref: RootRef | null;
  readonly chain: Uint8Array;
}

export interface EngineOptions {
  durability: Durability;
  cacheNodes: number;
}

export class SqliteEngine {
  readonly db: Database.Database;
  readonly stmts: Statements;
  private readonly transaction: Database.Transaction<(fn: () => void) => void>;
  readonly path: string;
  readonly nodeCache: NodeCache;
  /** Chunks of retired arenas, for the next ones. */
  private readonly chunkPool: Buffer[] = [];
  arena = new NodeArena(this.chunkPool);
  /** Node bytes held by the cache after the last compaction. */
  private liveAfterCompaction = 0;
  private readonly commitCache = new GenerationalCache<CommitInfo>(8192);
  private scratch = Buffer.allocUnsafeSlow(1 << 20);
  private readonly chunkArgs: unknown[] = new Array<unknown>(3 * INSERT_CHUNK).fill(null);
  /** Write transactions committed since open (group commit is observable through it). */
  transactions = 0;

  constructor(path: string, options: EngineOptions) {
    this.path = path;
    this.nodeCache = new NodeCache(options.cacheNodes);
    this.db = new Database(path);
    try {
      // The page size can only be chosen before the first table exists.
      if (Number(this.db.pragma('page_count', { simple: true })) === 0) this.db.pragma(`page_size = ${PAGE_SIZE}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      // A larger WAL between checkpoints lets repeated writes of the B-trees' right edges coalesce.
      this.db.pragma('wal_autocheckpoint = 4096');
      this.db.pragma('journal_size_limit = 67108864');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('temp_store = MEMORY');
      // Reads of uncached nodes and of leaves go through the OS page cache without a read() call each (measured:
      // point gets ~50% faster on a 1.3 GB file). SQLite caps this at its compile-time maximum and falls back to
      // read() where mapping fails.
      this.db.pragma('mmap_size = 2147418112');
      const format = Number(this.db.pragma('user_version', { simple: true }));
      if (format !== 0 && format !== FORMAT_VERSION) {
        throw new StoreError('CORRUPT', `${path}: store format ${format} is not ${FORMAT_VERSION}`);
      }
      this.db.exec(SCHEMA);
      if (format === 0) this.db.pragma(`user_version = ${FORMAT_VERSION}`);
      this.stmts = prepareAll(this.db);
      this.transaction = this.db.transaction((fn: () => void) => fn());
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Runs `fn` in one write transaction (one sync at COMMIT under synchronous=FULL). */
  write(fn: () => void): void {
    this.transaction.immediate(fn);
    this.transactions += 1;
  }

  /** An internal node; a cache miss loads its whole row and caches every node in it. */
  node(version: number, path: string): InternalNode {
    const cached = this.nodeCache.get(version, path);
    if (cached !== undefined) return cached;
    const id = rowId(version, groupOfPath(path));
    const row = this.stmts.getNodes.get(id);
    if (row !== undefined) {
      let found: InternalNode | undefined;
      try {
        for (const entry of decodeNodes(row)) {
          // Copied out so a cached node does not keep its whole row alive.
          const at = this.arena.alloc(entry.data.length);
          this.arena.current.set(entry.data, at);
          const node = decodeInternalAt(this.arena.current, at, entry.data.length, version);
          this.nodeCache.putLoaded(entry.path, node);
          if (entry.path === path) found = node;
        }
      } catch (error) {
        throw new StoreError('CORRUPT', `nodes row ${id}: ${(error as Error).message}`);
      }
      if (found !== undefined) return found;
    }
    throw new StoreError('CORRUPT', `node (${version}, "${path}") is missing`);
  }

  /** The node at the first `depth` nibbles of `key` (whose numeric value the caller keeps as it walks). */
  nodeOnPath(version: number, key: Uint8Array, depth: number, pathNumber: number): InternalNode {
    return this.nodeCache.getOnPath(version, depth, pathNumber) ?? this.node(version, keyHex(key).slice(0, depth));
  }

  leafValue(version: number, key: Uint8Array): Uint8Array {
    const part = this.stmts.getLeaves.get(rowId(version, groupOfKey(key)));
    const value = part === undefined ? undefined : findLeaf(part, key);
    if (value === undefined) throw new StoreError('CORRUPT', `leaf (${version}, ${keyHex(key)}) is missing`);
    return value;
  }

  /**
   * Appends a commit's rows in id order. Leaves come sorted by key and nodes by path (pre-order), so the prefix
   * groups of both run in ascending order and one merge pass cuts them into rows.
   */
  insertRows(version: number, leaves: readonly RowLeaf[], nodes: readonly { path: string; node: InternalNode }[]): void {
    const upperPaths: string[] = [];
    const upper: InternalNode[] = [];
    const paths: string[] = [];
    const grouped: InternalNode[] = [];
    for (const { path, node } of nodes) {
      if (path.length < GROUP_DEPTH) {
        upperPaths.push(path);
        upper.push(node);
      } else {
        paths.push(path);
        grouped.push(node);
      }
      this.nodeCache.putNew(path, node);
    }
    let total = upper.length > 0 ? nodesSize(upperPaths, upper, 0, upper.length) : 0;
    // Every row adds two count varints (at most 4 bytes each) to the parts' sizes.
    total += leavesSize(leaves, 0, leaves.length) + nodesSize(paths, grouped, 0, grouped.length) + 8 * GROUPS_PER_VERSION;
    if (this.scratch.length < total) this.scratch = Buffer.allocUnsafeSlow(Math.max(total, 2 * this.scratch.length));
    const scratch = this.scratch;
    const args = this.chunkArgs;
    let offset = 0;
    let filled = 0;
    const emit = (group: number, leafFrom: number, leafTo: number, nodePaths: string[], nodes: InternalNode[], nodeFrom: number, nodeTo: number): void => {
      const leavesEnd = encodeLeavesInto(scratch, offset, leaves, leafFrom, leafTo);
      const nodesEnd = encodeNodesInto(scratch, leavesEnd, nodePaths, nodes, nodeFrom, nodeTo);
      args[3 * filled] = rowId(version, group);
      args[3 * filled + 1] = scratch.subarray(offset, leavesEnd);
      args[3 * filled + 2] = scratch.subarray(leavesEnd, nodesEnd);
      offset = nodesEnd;
      filled += 1;
      if (filled === INSERT_CHUNK) {
        this.stmts.insertRowChunk.run(args);
        filled = 0;
      }
    };
    if (upper.length > 0) emit(UPPER_GROUP, 0, 0, upperPaths, upper, 0, upper.length);
    let i = 0;
    let j = 0;
    while (i < leaves.length || j < grouped.length) {
      const leafGroup = i < leaves.length ? groupOfKey(leaves[i]!.key) : GROUPS_PER_VERSION;
      const nodeGroup = j < grouped.length ? groupOfPath(paths[j]!) : GROUPS_PER_VERSION;
      const group = Math.min(leafGroup, nodeGroup);
      let i2 = i;
      while (i2 < leaves.length && groupOfKey(leaves[i2]!.key) === group) i2++;
      let j2 = j;
      while (j2 < grouped.length && groupOfPath(paths[j2]!) === group) j2++;
      emit(group, i, i2, paths, grouped, j, j2);
      i = i2;
      j = j2;
    }
    for (let k = 0; k < filled; k++) {
      this.stmts.insertRow.run(args[3 * k] as number, args[3 * k + 1] as Buffer, args[3 * k + 2] as Buffer);
    }
    args.fill(null);
  }

  /**
   * Once the arena has handed out twice what the cache held at the last compaction (and at least 64 MiB), moves
   * every cached node into fresh chunks: memory stays under about three times the cached bytes, and each
   * allocated byte is moved at most half a time on average.
   */
  maybeCompact(): void {
    if (this.arena.allocated < Math.max(2 * this.liveAfterCompaction, 64 << 20)) return;
    const retired = this.arena;
    const arena = new NodeArena(this.chunkPool);
    for (const node of this.nodeCache.values()) node.moveTo(arena);
    this.liveAfterCompaction = arena.allocated;
    arena.allocated = 0;
    this.arena = arena;
    // Nothing refers into the retired chunks any more (see arena.ts); keep as many as the next cycle needs.
    const keep = Math.ceil((Math.max(2 * this.liveAfterCompaction, 64 << 20) + this.liveAfterCompaction) / CHUNK_SIZE) + 1;
    for (const chunk of retired.chunks) if (this.chunkPool.length < keep) this.chunkPool.push(chunk);
  }

  deleteRowsOf(version: number): void {
    this.stmts.deleteRowsBetween.run(rowId(version, 0), rowId(version, GROUPS_PER_VERSION));
  }

  commit(version: number): CommitInfo | undefined {
    const cacheKey = String(version);
    const cached = this.commitCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const row = this.stmts.getCommit.get(version);
    if (row === undefined) return undefined;
    if (row.root.length !== HASH_LENGTH) throw new StoreError('CORRUPT', `commits row ${version}: bad root`);
    const info: CommitInfo = {
      version: row.v,
      parent: row.parent,
      root: row.root,
      ref: row.ref === null ? null : decodeRootRef(row.ref),
      chain: row.chain,
    };
    this.commitCache.set(cacheKey, info);
    return info;
  }

  insertCommit(info: CommitInfo): void {
    const ref = info.ref === null ? null : encodeRootRef(info.ref);
    this.stmts.insertCommit.run(info.version, info.parent, info.root, ref, info.chain, refCheck(info.version, ref));
    this.commitCache.set(String(info.version), info);
  }

  forgetCommit(version: number): void {
    this.commitCache.delete(String(version));
  }

  /** The state row; a row that fails its check is still returned (verify() and reads go on), with the problem. */
  readState(): { state: StateRow; problem?: string } {
    const row = this.stmts.getState.get();
    if (row === undefined) {
      const any = this.db.prepare('SELECT 1 FROM commits LIMIT 1').get();
      const state = { head: 0, next: 1, horizon: 0 };
      return any === undefined ? { state } : { state, problem: 'state row is missing' };
    }
    const state = { head: row.head, next: row.next, horizon: row.horizon };
    if (!stateCheck(state).equals(row.chk)) return { state, problem: 'state row does not match its check hash' };
    return { state };
  }

  writeState(state: StateRow): void {
    this.stmts.putState.run(state.head, state.next, state.horizon, stateCheck(state));
  }

  readBranches(): { rows: BranchRow[]; problems: string[] } {
    const problems: string[] = [];
    const rows = this.stmts.allBranches.all().map((row) => {
      const branch = { id: row.id, base: row.base, head: row.head };
      if (!branchCheck(branch).equals(row.chk)) problems.push(`branches row ${row.id} does not match its check hash`);
      return branch;
    });
    return { rows, problems };
  }

  writeBranch(row: BranchRow): void {
    this.stmts.putBranch.run(row.id, row.base, row.head, branchCheck(row));
  }

  /** Bytes of the pages in use (not on the free list). */
  usedBytes(): number {
    const pages = Number(this.db.pragma('page_count', { simple: true }));
    const free = Number(this.db.pragma('freelist_count', { simple: true }));
    return (pages - free) * Number(this.db.pragma('page_size', { simple: true }));
  }

  fileBytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(this.path + suffix).size;
      } catch {
        // no WAL file yet
      }
    }
    return total;
  }

  close(): void {
    this.db.close();
  }
}
