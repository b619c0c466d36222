/**
 * The authenticated, versioned key-value store (docs/store.md): the main line's read/write API plus branches,
 * GC, verification and statistics. One Store per SQLite file; it is the file's only writer.
 */
import { Branch } from './branch.ts';
import { forkLine } from './branch-ops.ts';
import { collectGarbage, type GcOptions, type GcResult } from './gc.ts';
import { LineView } from './line-view.ts';
import { collectStats, type StoreStats } from './stats.ts';
import { StoreCore, type StoreOptions } from './store-core.ts';
import { verifyStore, type VerifyReport } from './verify.ts';

export class Store extends LineView {
  /** Opens a branch whose base is a main-line version (default: the head). */
  fork(version?: number): Branch {
    return new Branch(this.core, forkLine(this.core, version));
  }

  /** The open branches, including those opened before the store was last closed. */
  branches(): Branch[] {
    this.core.checkOpen();
    return [...this.core.branches.values()].map((line) => new Branch(this.core, line));
  }

  /** Writes any commits queued by commitAsync now, without waiting for the end of the event-loop turn. */
  flush(): void {
    this.core.checkOpen();
    this.core.flush();
  }

  /** Checks every retained row (see verify.ts); reports problems instead of throwing on them. */
  verify(): VerifyReport {
    this.core.checkOpen();
    this.core.flush();
    return verifyStore(this.core);
  }

  /**
   * Deletes what only versions below `horizon` need; those versions then read as PRUNED. The horizon stops at
   * main's head and at the base of any open branch (the result says where it stopped). See gc.ts for compact.
   */
  gc(horizon: number, options?: GcOptions): GcResult {
    return collectGarbage(this.core, horizon, options);
  }

  stats(): StoreStats {
    return collectStats(this.core);
  }

  /** Writes queued commits, then closes the database. Further calls fail with CLOSED. */
  close(): void {
    this.core.close();
  }
}

export function openStore(path: string, options: StoreOptions = {}): Store {
  const core = new StoreCore(path, options);
  return new Store(core, core.main);
}
