/**
 * Retention for the service log (ServiceLog.prune). It cuts whole sealed batches only: the proof of an entry
 * needs every entry hash of its batch, so a cut inside a batch would leave entries that can no longer be proved,
 * and a reopen could not tell such a cut from lost rows.
 */
import type Database from 'better-sqlite3';
import { decodeStoredRecord, type LogStatements } from './service-log-rows.ts';
import { META_KEYS } from './service-log-schema.ts';

export type PruneLimit = { readonly beforeSeq: number } | { readonly beforeTime: number };

export interface PruneResult {
  readonly entries: number;
  readonly batches: number;
  /** The oldest retained seq after the prune. */
  readonly retainedFrom: number;
}

/** Prunes the entries from `retainedFrom` up to the limit in one transaction, moving meta retained_from along. */
export function pruneLog(
  db: Database.Database,
  sql: LogStatements,
  retainedFrom: number,
  limit: PruneLimit,
): PruneResult {
  const bySeq = 'beforeSeq' in limit;
  const bound = bySeq ? limit.beforeSeq : limit.beforeTime;
  if (!Number.isSafeInteger(bound) || bound < 0) {
    throw new RangeError('prune limit must be a non-negative safe integer');
  }
  let cut = retainedFrom - 1;
  let batches = 0;
  for (const bytes of sql.batchesFrom.iterate(retainedFrom)) {
    const record = decodeStoredRecord(bytes, 'batch record');
    if ((bySeq ? record.lastSeq : record.lastTime) >= bound) break;
    cut = record.lastSeq;
    batches += 1;
  }
  if (batches === 0) return { entries: 0, batches: 0, retainedFrom };
  const newRetainedFrom = cut + 1;
  const entries = db
    .transaction(() => {
      const { changes } = sql.deleteBefore.run(newRetainedFrom);
      sql.setMeta.run(newRetainedFrom, META_KEYS.retainedFrom);
      return changes;
    })
    .immediate();
  return { entries, batches, retainedFrom: newRetainedFrom };
}
