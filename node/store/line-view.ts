/**
 * The read/write API shared by the main line (Store) and branches (Branch). Reads with an explicit version read
 * that version wherever it lives (versions are global); without one they read the line's head.
 */
import { checkBound, checkKey, checkVersion, type Write } from './batch.ts';
import { StoreError } from './errors.ts';
import type { Proof } from './proof.ts';
import type { CommitInfo } from './sqlite-engine.ts';
import type { LineState, StoreCore } from './store-core.ts';
import { buildProof, readEntry, scanRange } from './tree-read.ts';

export interface Entry {
  value: Uint8Array;
  /** The version of the key's last change: the baseVersion a writer passes to change it next. */
  valueVersion: number;
}

export interface ReadView {
  /** The head version of this line. */
  readonly version: number;
  head(): number;
  /** The tree root of a version (default: the head); 32 zero bytes for the empty tree. */
  root(version?: number): Uint8Array;
  get(key: Uint8Array, version?: number): Uint8Array | undefined;
  getEntry(key: Uint8Array, version?: number): Entry | undefined;
  /** The value before the change at `version`: get at that commit's parent. */
  getPrevious(key: Uint8Array, version: number): Uint8Array | undefined;
  prove(key: Uint8Array, version?: number): Proof;
  /**
   * Keys in [fromKey, toKey) in ascending byte order, read lazily. Bounds are byte strings of up to 32 bytes
   * compared byte-wise, so a prefix works: scan(p) starts at the first key ≥ p.
   */
  scan(fromKey?: Uint8Array, toKey?: Uint8Array, version?: number): Iterable<[Uint8Array, Uint8Array]>;
}

export class LineView implements ReadView {
  protected readonly core: StoreCore;
  protected readonly line: LineState;

  constructor(core: StoreCore, line: LineState) {
    this.core = core;
    this.line = line;
  }

  private at(version: number | undefined): CommitInfo {
    this.core.checkLine(this.line);
    return version === undefined ? this.line.head : this.core.resolve(version);
  }

  get version(): number {
    return this.head();
  }

  head(): number {
    this.core.checkLine(this.line);
    return this.line.head.version;
  }

  root(version?: number): Uint8Array {
    return new Uint8Array(this.at(version).root);
  }

  get(key: Uint8Array, version?: number): Uint8Array | undefined {
    checkKey(key);
    return readEntry(this.core.engine, this.at(version).ref, key)?.value;
  }

  getEntry(key: Uint8Array, version?: number): Entry | undefined {
    checkKey(key);
    return readEntry(this.core.engine, this.at(version).ref, key);
  }

  getPrevious(key: Uint8Array, version: number): Uint8Array | undefined {
    checkKey(key);
    checkVersion(version);
    if (version === 0) throw new StoreError('BAD_REQUEST', 'version 0 (the empty state) has no previous state');
    const parent = this.at(version).parent;
    return readEntry(this.core.engine, this.at(parent).ref, key)?.value;
  }

  prove(key: Uint8Array, version?: number): Proof {
    checkKey(key);
    return buildProof(this.core.engine, this.at(version).ref, key);
  }

  scan(fromKey?: Uint8Array, toKey?: Uint8Array, version?: number): Iterable<[Uint8Array, Uint8Array]> {
    if (fromKey !== undefined) checkBound(fromKey);
    if (toKey !== undefined) checkBound(toKey);
    const info = this.at(version);
    const core = this.core;
    const line = this.line;
    return {
      *[Symbol.iterator]() {
        for (const entry of scanRange(core.engine, info.ref, fromKey, toKey)) {
          core.checkLine(line);
          yield entry;
        }
      },
    };
  }

  /** Sets `key` to `value` if its last change on this line is not later than `baseVersion`; returns the new version. */
  put(key: Uint8Array, baseVersion: number, value: Uint8Array): number {
    return this.core.commit(this.line, [{ key, baseVersion, value }]);
  }

  /** Deletes `key` under the same rule as put. */
  delete(key: Uint8Array, baseVersion: number): number {
    return this.core.commit(this.line, [{ key, baseVersion, value: null }]);
  }

  /** Writes a batch as one commit; any conflict refuses the whole batch (CONFLICT) and writes nothing. */
  commit(writes: readonly Write[]): number {
    return this.core.commit(this.line, writes);
  }

  /**
   * Queues a batch; every batch queued in the same event-loop turn is written in one SQLite transaction (one
   * sync), each as its own commit. Resolves with the version once that transaction is durable.
   */
  commitAsync(writes: readonly Write[]): Promise<number> {
    return this.core.commitAsync(this.line, writes);
  }
}
