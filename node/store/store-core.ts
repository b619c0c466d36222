/**
 * The store's state machine: lines of history (main and branches), version resolution, and commits — one at a
 * time (commit) or grouped (commitAsync: every commit queued in one event-loop turn shares one SQLite
 * transaction, hence one sync, and each promise resolves only after that transaction is durable).
 *
 * A commit is computed in memory first (so a conflict writes nothing), then its rows are appended. In-memory
 * state changed while writing is undone if the transaction fails.
 */
import { prepareBatch, checkVersion, type Write } from './batch.ts';
import { StoreError } from './errors.ts';
import { emptyRoot } from './node-codec.ts';
import type { RowLeaf } from './row-codec.ts';
import { type CommitInfo, chainHash, type Durability, SqliteEngine, type StateRow } from './sqlite-engine.ts';
import { type TreeUpdate, updateTree, type WriteOp } from './tree-update.ts';

/** The subset of a pino logger the store uses. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface StoreOptions {
  /** 'full' (default): synchronous=FULL, a commit returns only once durable. 'normal': for caches. */
  durability?: Durability;
  /**
   * Decoded internal nodes kept in memory (default 1,048,576). A tree of n random keys has about 0.36·n internal
   * nodes, and random writes touch all of them, so the default holds every internal node up to ~2.9M keys; each
   * costs its bytes (~250 on average) plus ~100 of bookkeeping. Lower it where memory is short: writes and reads
   * of nodes that no longer fit then cost a SQLite lookup each.
   */
  cacheNodes?: number;
  /** Largest value accepted (default 1 MiB). */
  maxValueSize?: number;
  logger?: StoreLogger;
}

export const DEFAULT_CACHE_NODES = 1 << 20;
export const DEFAULT_MAX_VALUE_SIZE = 1 << 20;

export interface LineState {
  /** 0 for the main line. */
  readonly id: number;
  readonly base: number;
  head: CommitInfo;
  /** A branch's own versions (empty for main). */
  readonly versions: Set<number>;
  status: 'open' | 'merged' | 'dropped';
}

interface Pending {
  line: LineState;
  ops: WriteOp[];
  resolve(version: number): void;
  reject(error: unknown): void;
}

interface Prepared {
  version: number;
  update: TreeUpdate;
  info: CommitInfo;
}

export class StoreCore {
  readonly engine: SqliteEngine;
  readonly maxValueSize: number;
  readonly logger: StoreLogger | undefined;
  readonly genesis: CommitInfo = { version: 0, parent: 0, root: emptyRoot(), ref: null, chain: emptyRoot() };
  readonly main: LineState;
  readonly branches = new Map<number, LineState>();
  /** Integrity problems met while opening; writes are refused until they are repaired. */
  readonly openProblems: string[] = [];
  state: StateRow;
  /** Row bytes GC freed since the last VACUUM (or open). */
  freedSinceCompaction = 0;
  private queue: Pending[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private nextBranchId = 1;
  private closed = false;

  constructor(path: string, options: StoreOptions) {
    this.engine = new SqliteEngine(path, {
      durability: options.durability ?? 'full',
      cacheNodes: options.cacheNodes ?? DEFAULT_CACHE_NODES,
    });
    this.maxValueSize = options.maxValueSize ?? DEFAULT_MAX_VALUE_SIZE;
    this.logger = options.logger;
    const read = this.engine.readState();
    if (read.problem !== undefined) this.openProblems.push(read.problem);
    this.state = read.state;
    this.main = { id: 0, base: 0, head: this.headInfo(this.state.head, 'main head'), versions: new Set(), status: 'open' };
    const branches = this.engine.readBranches();
    this.openProblems.push(...branches.problems);
    for (const row of branches.rows) {
      const line: LineState = { id: row.id, base: row.base, head: this.headInfo(row.head, `branch ${row.id}`), versions: new Set(), status: 'open' };
      for (let v = row.head; v > row.base; ) {
        const info = this.commitOrProblem(v);
        if (info === undefined || info.parent >= v) {
          this.openProblems.push(`branches row ${row.id}: its history is broken at version ${v}`);
          break;
        }
        line.versions.add(v);
        v = info.parent;
      }
      this.branches.set(row.id, line);
      this.nextBranchId = Math.max(this.nextBranchId, row.id + 1);
    }
    if (this.openProblems.length > 0) this.logger?.warn({ problems: this.openProblems }, 'store opened with integrity problems');
  }

  private headInfo(version: number, what: string): CommitInfo {
    if (version === 0) return this.genesis;
    const info = this.commitOrProblem(version);
    if (info !== undefined) return info;
    this.openProblems.push(`${what} ${version} has no readable commits row`);
    return this.genesis;
  }

  /** A commit record while opening: a damaged one is noted (verify() names it) instead of failing the open. */
  private commitOrProblem(version: number): CommitInfo | undefined {
    try {
      return this.engine.commit(version);
    } catch (error) {
      this.openProblems.push(`commits row ${version}: ${(error as Error).message}`);
      return undefined;
    }
  }

  checkOpen(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed');
  }

  checkLine(line: LineState): void {
    this.checkOpen();
    if (line.status !== 'open') throw new StoreError('CLOSED', `branch ${line.id} was ${line.status}`);
  }

  isStale(line: LineState): boolean {
    return line.id !== 0 && this.main.head.version !== line.base;
  }

  private checkWritable(line: LineState): void {
    this.checkLine(line);
    if (this.isStale(line)) {
      throw new StoreError('STALE_BRANCH', `branch ${line.id}: main moved past its base ${line.base}; it can only be dropped`);
    }
    if (this.openProblems.length > 0) throw new StoreError('CORRUPT', `refusing writes: ${this.openProblems[0]}`);
  }

  /** The commit record of a readable version: NOT_FOUND if it never existed or was dropped, PRUNED below the GC horizon. */
  resolve(version: number): CommitInfo {
    checkVersion(version);
    const info = version === 0 ? this.genesis : this.engine.commit(version);
    if (info === undefined) throw new StoreError('NOT_FOUND', `version ${version} does not exist`);
    if (version < this.state.horizon) {
      throw new StoreError('PRUNED', `version ${version} is below the GC horizon ${this.state.horizon}`);
    }
    return info;
  }

  isMainVersion(version: number): boolean {
    for (const line of this.branches.values()) if (line.versions.has(version)) return false;
    return version === 0 || this.engine.commit(version) !== undefined;
  }

  commit(line: LineState, writes: readonly Write[]): number {
    this.checkWritable(line);
    const ops = prepareBatch(writes, this.maxValueSize, false);
    this.flush();
    this.checkWritable(line);
    const prepared = this.compute(line, ops, this.state.next);
    this.transact((undo) => this.writeRows(line, prepared, undo));
    return prepared.version;
  }

  commitAsync(line: LineState, writes: readonly Write[]): Promise<number> {
    let ops: WriteOp[];
    try {
      this.checkWritable(line);
      ops = prepareBatch(writes, this.maxValueSize, true);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ line, ops, resolve, reject });
      this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  /** Writes every queued commit in one transaction; each settles after that transaction is durable. */
  flush(): void {
    if (this.flushTimer !== undefined) {
      clearImmediate(this.flushTimer);
      this.flushTimer = undefined;
    }
    const items = this.queue;
    if (items.length === 0) return;
    this.queue = [];
    const outcomes: (number | unknown)[] = [];
    try {
      this.transact((undo) => {
        for (const item of items) {
          let prepared: Prepared;
          try {
            this.checkWritable(item.line);
            prepared = this.compute(item.line, item.ops, this.state.next);
          } catch (error) {
            outcomes.push(error);
            continue;
          }
          this.writeRows(item.line, prepared, undo);
          outcomes.push(prepared.version);
        }
      });
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => {
      const outcome = outcomes[i];
      if (typeof outcome === 'number') item.resolve(outcome);
      else item.reject(outcome);
    });
  }

  /** Runs `fn` in one write transaction; if it fails, undoes the in-memory changes `fn` recorded. */
  transact(fn: (undo: (() => void)[]) => void): void {
    const undo: (() => void)[] = [];
    try {
      this.engine.write(() => fn(undo));
    } catch (error) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      // Cached nodes of the rolled-back versions would never be asked for again, but drop them anyway.
      this.engine.nodeCache.clear();
      throw error;
    }
  }

  private compute(line: LineState, ops: WriteOp[], version: number): Prepared {
    const parent = line.head;
    const update = updateTree(this.engine, parent.ref, parent.root, version, ops);
    if (update.conflicts.length > 0) {
      const n = update.conflicts.length;
      throw new StoreError('CONFLICT', `${n} write${n === 1 ? '' : 's'} of the batch conflict; nothing was written`, {
        conflicts: update.conflicts,
      });
    }
    const info: CommitInfo = {
      version,
      parent: parent.version,
      root: update.rootHash,
      ref: update.root,
      chain: chainHash(parent.chain, version, update.rootHash),
    };
    return { version, update, info };
  }

  private writeRows(line: LineState, prepared: Prepared, undo: (() => void)[]): void {
    const { version, update, info } = prepared;
    const { stmts } = this.engine;
    this.engine.insertRows(version, update.leaves as RowLeaf[], update.nodes);
    if (update.stale.count > 0) stmts.insertStale.run(version, update.stale.encode());
    this.engine.maybeCompact();
    this.engine.insertCommit(info);
    const previousHead = line.head;
    const previousNext = this.state.next;
    undo.push(() => {
      line.head = previousHead;
      line.versions.delete(version);
      this.state.next = previousNext;
      this.engine.forgetCommit(version);
    });
    line.head = info;
    this.state.next = version + 1;
    if (line.id === 0) {
      this.state.head = version;
      undo.push(() => {
        this.state.head = previousHead.version;
      });
    } else {
      line.versions.add(version);
      this.engine.writeBranch({ id: line.id, base: line.base, head: version });
    }
    this.engine.writeState(this.state);
  }

  /** A fresh branch id (ids of dropped branches may come back after a reopen; versions never do). */
  allocateBranchId(): number {
    return this.nextBranchId++;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.engine.close();
  }
}
