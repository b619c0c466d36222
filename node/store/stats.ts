/**
 * Operator figures for `ame store stats`. Counting rows scans the tables, so this is an occasional call, not a
 * metric to poll.
 */
import { decodeStale } from './refs.ts';
import { decodeRow } from './row-codec.ts';
import type { StoreCore } from './store-core.ts';
import { countKeys } from './tree-read.ts';

export interface StoreStats {
  head: number;
  /** Versions below it read as PRUNED. */
  horizon: number;
  /** Commit records (retained and pruned; dropped branches' are gone). */
  versions: number;
  openBranches: number;
  liveKeys: number;
  /** Internal nodes and leaves stored (live and stale), and the rows holding them. */
  nodes: number;
  leaves: number;
  rows: number;
  /** Node keys in the stale index still waiting for GC. */
  staleNodes: number;
  fileBytes: number;
  cachedNodes: number;
  cacheHits: number;
  cacheMisses: number;
  /** Write transactions since open. */
  transactions: number;
  journalMode: string;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
}

const SYNC_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export function collectStats(core: StoreCore): StoreStats {
  core.checkOpen();
  core.flush();
  const { engine } = core;
  const count = (table: string): number =>
    engine.db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get() ?? 0;
  let nodes = 0;
  let leaves = 0;
  let rows = 0;
  for (const data of engine.db.prepare<[], { l: Buffer; n: Buffer }>('SELECT l, n FROM nodes').iterate()) {
    const row = decodeRow(data.l, data.n);
    nodes += row.nodes.length;
    leaves += row.leaves.length;
    rows += 1;
  }
  let staleNodes = 0;
  for (const data of engine.db.prepare<[], Buffer>('SELECT d FROM stale').pluck().all()) {
    staleNodes += decodeStale(data).length;
  }
  return {
    head: core.main.head.version,
    horizon: core.state.horizon,
    versions: count('commits'),
    openBranches: core.branches.size,
    liveKeys: countKeys(engine, core.main.head.ref),
    nodes,
    leaves,
    rows,
    staleNodes,
    fileBytes: engine.fileBytes(),
    cachedNodes: engine.nodeCache.size,
    cacheHits: engine.nodeCache.hits,
    cacheMisses: engine.nodeCache.misses,
    transactions: engine.transactions,
    journalMode: String(engine.db.pragma('journal_mode', { simple: true })),
    synchronous: SYNC_NAMES[Number(engine.db.pragma('synchronous', { simple: true }))] ?? 'OFF',
  };
}
