/**
 * Garbage collection (docs/store.md "Stale-node index"). A node listed as stale since version s is reachable
 * only from versions before s, so deleting every node stale at or before the horizon keeps each version ≥ the
 * horizon whole. The horizon never passes main's head nor the base of an open branch (a branch still reads its
 * base's nodes), so the effective horizon can be lower than asked; versions below it read as PRUNED.
 * Commit records stay: the commit chain remains verifiable from version 1.
 *
 * Nodes are stored grouped in rows (row-codec.ts): a row whose nodes and leaves are all stale is deleted, a row
 * with some still live is rewritten without the stale ones. Rewritten rows shrink in place, and SQLite only
 * rebalances pages that fall below a third full, so after a large collection the file holds up to three times
 * the live bytes; GC then VACUUMs (compact: 'auto', the default, does so once the bytes freed since the last
 * compaction reach half of the pages in use).
 */
import { checkVersion } from './batch.ts';
import { INTERNAL } from './node-codec.ts';
import { keyHex } from './nibble-path.ts';
import { decodeStale } from './refs.ts';
import { decodeRow, encodeRow, groupOfKey, groupOfPath, rowId } from './row-codec.ts';
import type { StoreCore } from './store-core.ts';

export interface GcResult {
  /** The horizon now in force (may be below the one asked for; see above). */
  horizon: number;
  nodesRemoved: number;
  versionsPruned: number;
  /** Bytes of rows removed or rewritten away. */
  bytesFreed: number;
  /** Whether the database was VACUUMed afterwards. */
  compacted: boolean;
}

export interface GcOptions {
  /** VACUUM afterwards: 'auto' (default) when enough space was freed, or always (true) / never (false). */
  compact?: boolean | 'auto';
}

export function collectGarbage(core: StoreCore, horizon: number, options: GcOptions = {}): GcResult {
  checkVersion(horizon, 'horizon');
  core.checkOpen();
  core.flush();
  let limit = Math.min(horizon, core.main.head.version);
  for (const line of core.branches.values()) limit = Math.min(limit, line.base);
  const previous = core.state.horizon;
  if (limit <= previous) {
    const compacted = options.compact === true && compact(core);
    return { horizon: previous, nodesRemoved: 0, versionsPruned: 0, bytesFreed: 0, compacted };
  }

  const { engine } = core;
  const { stmts } = engine;
  // Stale node keys by the row that holds them.
  const byRow = new Map<number, Set<string>>();
  const mark = (id: number, name: string): void => {
    let names = byRow.get(id);
    if (names === undefined) byRow.set(id, (names = new Set()));
    names.add(name);
  };
  for (const row of stmts.staleUpTo.all(limit)) {
    for (const entry of decodeStale(row.d)) {
      if (entry.kind === INTERNAL) {
        mark(rowId(entry.version, groupOfPath(entry.path)), `n${entry.path}`);
      } else {
        mark(rowId(entry.version, groupOfKey(entry.key!)), `l${keyHex(entry.key!)}`);
      }
    }
  }
  let nodesRemoved = 0;
  let versionsPruned = 0;
  let bytesFreed = 0;
  core.transact((undo) => {
    for (const id of [...byRow.keys()].sort((a, b) => a - b)) {
      const data = stmts.getRow.get(id);
      if (data === undefined) continue;
      const stale = byRow.get(id)!;
      const row = decodeRow(data.l, data.n);
      const before = data.l.length + data.n.length;
      const leaves = row.leaves.filter((leaf) => !stale.has(`l${keyHex(leaf.key)}`));
      const nodes = row.nodes.filter((node) => !stale.has(`n${node.path}`));
      nodesRemoved += row.leaves.length - leaves.length + row.nodes.length - nodes.length;
      if (leaves.length === 0 && nodes.length === 0) {
        stmts.deleteRow.run(id);
        bytesFreed += before;
      } else {
        const rewritten = encodeRow(leaves, nodes);
        stmts.updateRow.run(rewritten.leaves, rewritten.nodes, id);
        bytesFreed += before - rewritten.leaves.length - rewritten.nodes.length;
      }
    }
    stmts.deleteStaleUpTo.run(limit);
    versionsPruned = stmts.countCommitsBetween.get(previous, limit) ?? 0;
    undo.push(() => {
      core.state.horizon = previous;
    });
    core.state.horizon = limit;
    engine.writeState(core.state);
  });
  core.freedSinceCompaction += bytesFreed;
  const compacted =
    options.compact === true ||
    ((options.compact ?? 'auto') === 'auto' && core.freedSinceCompaction >= core.engine.usedBytes() / 2);
  if (compacted) compact(core);
  core.logger?.info({ horizon: limit, nodesRemoved, versionsPruned, bytesFreed, compacted }, 'store gc');
  return { horizon: limit, nodesRemoved, versionsPruned, bytesFreed, compacted };
}

/** Rewrites the database without its free space (VACUUM), then truncates the WAL it went through. */
function compact(core: StoreCore): boolean {
  core.engine.db.exec('VACUUM');
  core.engine.db.pragma('wal_checkpoint(TRUNCATE)');
  core.freedSinceCompaction = 0;
  return true;
}
