/**
 * The workload units a node has logged (SPEC §7: one unit = ⌈bytes served / 1 KiB⌉ + compute units per request),
 * cumulative since its log began, for its heartbeats (docs/worker.md "Heartbeats"). Counted from the service log's
 * entries as they come and kept, with the last entry counted, in `<dir>/workload.json` (written atomically), so a
 * restart goes on from there instead of reading the whole log again. An entry pruned before it was counted counts
 * nothing: pruning keeps far more than a heartbeat interval's entries.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceLog } from '../store/index.ts';

export const WORKLOAD_FILE = 'workload.json';

export function unitsOf(entry: { readonly bytes: number; readonly computeUnits: number }): number {
  return Math.ceil(entry.bytes / 1024) + entry.computeUnits;
}

export class WorkloadCounter {
  readonly #path: string;
  #seq = 0;
  #units = 0;

  constructor(dir: string) {
    this.#path = join(dir, WORKLOAD_FILE);
    if (!existsSync(this.#path)) return;
    try {
      const saved = JSON.parse(readFileSync(this.#path, 'utf8')) as { seq?: unknown; units?: unknown };
      if (Number.isSafeInteger(saved.seq) && Number.isSafeInteger(saved.units) && (saved.seq as number) >= 0 && (saved.units as number) >= 0) {
        this.#seq = saved.seq as number;
        this.#units = saved.units as number;
      }
    } catch {
      // A damaged file counts again from the log's first retained entry: at worst an undercount.
    }
  }

  /** Counts the entries logged since the last call; the cumulative units. */
  count(log: ServiceLog): number {
    const last = log.tail().seq;
    // A log that is shorter than what was counted was replaced (a wiped data dir): count it afresh.
    if (last < this.#seq) {
      this.#seq = 0;
      this.#units = 0;
    }
    if (last === this.#seq) return this.#units;
    for (let seq = this.#seq + 1; seq <= last; seq++) {
      try {
        this.#units += unitsOf(log.getEntry(seq));
      } catch {
        // pruned before it was counted
      }
    }
    this.#seq = last;
    writeFileSync(`${this.#path}.tmp`, JSON.stringify({ seq: this.#seq, units: this.#units }));
    renameSync(`${this.#path}.tmp`, this.#path);
    return this.#units;
  }
}
