/**
 * Tamper evidence (docs/store.md "verify()"): a store with a history (batches, updates, deletes, an empty
 * commit, a GC'd prefix, an open branch) verifies clean; then single bytes of stored rows are changed, one at a
 * time, through a second connection, and verify() must report every change, naming the table it is in.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store, type VerifyReport } from '../../../../node/store/index.ts';
import { seededRandom } from '../../../support/seeded.ts';
import { keyPool, tempDir } from './store-fixtures.ts';

const KEYS = keyPool(40, 'tamper');
const value = (i: number, round: number): Buffer => Buffer.from(`value ${i} round ${round} `.repeat(1 + (i % 3)));

/** A history that leaves every kind of row behind: live and stale nodes, pruned commits, an open branch. */
function buildHistory(store: Store): void {
  const v1 = store.commit(KEYS.slice(0, 14).map((key, i) => ({ key, baseVersion: 0, value: value(i, 1) })));
  for (let i = 0; i < 4; i++) store.put(KEYS[i]!, v1, value(i, 2));
  store.delete(KEYS[5]!, v1);
  store.commit([]);
  const v2 = store.commit(KEYS.slice(14, 26).map((key, i) => ({ key, baseVersion: 0, value: value(14 + i, 1) })));
  store.gc(v2 - 2, { compact: false });
  store.commit([
    { key: KEYS[0]!, baseVersion: store.getEntry(KEYS[0]!)!.valueVersion, value: value(0, 3) },
    { key: KEYS[20]!, baseVersion: v2, value: null },
    { key: KEYS[26]!, baseVersion: 0, value: value(26, 1) },
  ]);
  const branch = store.fork();
  branch.commit(KEYS.slice(27, 32).map((key, i) => ({ key, baseVersion: 0, value: value(27 + i, 1) })));
  branch.put(KEYS[1]!, store.getEntry(KEYS[1]!)!.valueVersion, value(1, 9));
}

type Cell = Buffer | number | null;

interface Tamper {
  table: string;
  rowid: number;
  column: string;
  from: Cell;
  to: Cell;
}

/** Every (table, row, column, byte) change to try, sampled to keep the run short. */
function tampers(db: Database.Database, random: () => number, perColumn: number): Tamper[] {
  const out: Tamper[] = [];
  for (const table of ['nodes', 'commits', 'stale', 'branches', 'state']) {
    const rows = db.prepare(`SELECT rowid AS _rowid, * FROM ${table}`).all() as Record<string, Cell>[];
    for (const row of rows) {
      const rowid = row['_rowid'] as number;
      for (const [column, cell] of Object.entries(row)) {
        if (column === '_rowid' || cell === null) continue;
        if (typeof cell === 'number') {
          // An integer column, as its low six bytes (higher ones would leave JavaScript's safe range).
          for (let k = 0; k < Math.min(perColumn, 6); k++) {
            const byte = Math.floor(random() * 6);
            const bit = Math.floor(random() * 8);
            out.push({ table, rowid, column, from: cell, to: Number(BigInt(cell) ^ (1n << BigInt(8 * byte + bit))) });
          }
          continue;
        }
        // A blob: its first bytes (headers, counts) always, then a sample of the rest.
        const positions = new Set<number>();
        for (let i = 0; i < Math.min(cell.length, 4); i++) positions.add(i);
        while (positions.size < Math.min(cell.length, perColumn)) positions.add(Math.floor(random() * cell.length));
        for (const at of positions) {
          const to = Buffer.from(cell);
          to[at] = to[at]! ^ (1 << Math.floor(random() * 8));
          out.push({ table, rowid, column, from: cell, to });
        }
      }
    }
  }
  return out;
}

/** Applies a change; returns the undo, or undefined when SQLite refuses it (a key that already exists, a CHECK). */
function apply(db: Database.Database, t: Tamper): (() => void) | undefined {
  const isKey = (t.table === 'nodes' && t.column === 'id') || (t.table === 'commits' && t.column === 'v') ||
    (t.table === 'stale' && t.column === 'v') || (t.table === 'branches' && t.column === 'id') ||
    (t.table === 'state' && t.column === 'id');
  try {
    db.prepare(`UPDATE ${t.table} SET ${t.column} = ? WHERE rowid = ?`).run(t.to, t.rowid);
  } catch {
    return undefined;
  }
  const rowid = isKey ? (t.to as number) : t.rowid;
  return () => db.prepare(`UPDATE ${t.table} SET ${t.column} = ? WHERE rowid = ?`).run(t.from, rowid);
}

describe('verify() and tampering', () => {
  const temp = tempDir();
  let store: Store;
  let db: Database.Database;

  beforeAll(() => {
    store = openStore(temp.file);
    buildHistory(store);
    db = new Database(temp.file);
  });
  afterAll(() => {
    db.close();
    store.close();
    temp.cleanup();
  });

  it('finds nothing wrong in an untouched store', () => {
    const report = store.verify();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checked.rows).toBeGreaterThan(10);
    expect(report.checked.staleRows).toBeGreaterThan(0);
  });

  it('reports any single changed byte in any row, naming its table', () => {
    const random = seededRandom(20_261_124);
    // 16 bytes per column here; AME_TAMPER_PER_COLUMN=100000 tries every byte (~10,000 cases, all caught).
    const cases = tampers(db, random, Number(process.env['AME_TAMPER_PER_COLUMN'] ?? 16));
    const tables = new Set(cases.map((t) => t.table));
    expect([...tables].sort()).toEqual(['branches', 'commits', 'nodes', 'stale', 'state']);
    const missed: string[] = [];
    let tried = 0;
    for (const t of cases) {
      const undo = apply(db, t);
      if (undo === undefined) continue;
      tried += 1;
      let report: VerifyReport;
      try {
        report = store.verify();
      } finally {
        undo();
      }
      if (report.ok || !report.problems.some((p) => p.table === t.table)) {
        missed.push(`${t.table} row ${t.rowid} ${t.column}: ${JSON.stringify(report.problems.slice(0, 2))}`);
      }
    }
    expect(missed).toEqual([]);
    expect(tried).toBeGreaterThan(300);
    expect(store.verify().ok).toBe(true);
  }, 60_000);

  it('opens a store with damaged rows without throwing, refuses writes, and reports them', () => {
    const { head } = db.prepare('SELECT head FROM state').get() as { head: number };
    const target = head - 1; // the state row will name it; its commits row gets an impossible root reference
    const { ref } = db.prepare('SELECT ref FROM commits WHERE v = ?').get(target) as { ref: Buffer };
    const damaged = Buffer.from(ref);
    damaged[0] = 7;
    store.close();
    db.prepare('UPDATE state SET head = ?').run(target);
    db.prepare('UPDATE commits SET ref = ? WHERE v = ?').run(damaged, target);
    try {
      store = openStore(temp.file);
      expect(() => store.put(KEYS[39]!, 0, Buffer.from('x'))).toThrowError(/refusing writes/);
      const report = store.verify();
      expect(report.ok).toBe(false);
      expect(report.problems.map((p) => p.table)).toEqual(expect.arrayContaining(['state', 'commits']));
    } finally {
      store.close();
      db.prepare('UPDATE state SET head = ?').run(head);
      db.prepare('UPDATE commits SET ref = ? WHERE v = ?').run(ref, target);
      store = openStore(temp.file);
    }
    expect(store.verify().ok).toBe(true);
  });
});
