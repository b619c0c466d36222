import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceLogError } from '../../../../node/store/service-log-errors.ts';
import { type LogVerifyReport, verifyServiceLogDatabase } from '../../../../node/store/service-log-verify.ts';
import { ServiceLog } from '../../../../node/store/service-log.ts';
import { manualClock, sampleEntry, tempDir } from './service-log-fixtures.ts';

// A log with a pruned batch (1), retained sealed batches (2, 3), an unsealed tail (13, 14) and a prune cut.
let file: string;
let cleanup: () => void;
let raw: Database.Database;

beforeAll(() => {
  ({ file, cleanup } = tempDir());
  const clock = manualClock();
  const log = ServiceLog.open({ path: file, batchSize: 4, now: clock.now });
  for (let i = 1; i <= 14; i += 1) {
    clock.set(1_700_000_000_000 + i * 1000);
    log.append(sampleEntry(i));
  }
  log.prune({ beforeSeq: 5 });
  log.close();
  raw = new Database(file);
});

afterAll(() => {
  raw.close();
  cleanup();
});

type Row = Record<string, unknown>;
const KEYS = { entries: 'seq', batches: 'idx', meta: 'key' } as const;
type Table = keyof typeof KEYS;

function rows(table: Table): Row[] {
  return raw.prepare(`SELECT * FROM ${table} ORDER BY ${KEYS[table]}`).all() as Row[];
}

/** Sets one column of one row, runs `check`, and puts the original value back whatever happens. */
function withChange(
  table: Table,
  row: Row,
  column: string,
  value: unknown,
  check: (report: LogVerifyReport) => void,
): void {
  const key = KEYS[table];
  const update = raw.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
  const restoreKey = column === key ? value : row[key];
  update.run(value, row[key]);
  try {
    check(verifyServiceLogDatabase(raw));
  } finally {
    raw.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`).run(row[column], restoreKey);
  }
}

describe('service-log verify()', () => {
  it('accepts the untouched log', () => {
    expect(verifyServiceLogDatabase(raw)).toEqual({ ok: true, entries: 10, batches: 3, problemCount: 0, problems: [] });
  });

  it('reports every changed byte of every stored blob, naming the table and the row', () => {
    let mutations = 0;
    for (const table of ['entries', 'batches'] as const) {
      for (const row of rows(table)) {
        for (const column of ['data', 'hash', 'record'].filter((c) => row[c] instanceof Uint8Array)) {
          const original = row[column] as Uint8Array;
          for (let at = 0; at < original.length; at += 1) {
            for (const mask of at % 8 === 0 ? [0x01, 0x80] : [1 << (at % 8)]) {
              const changed = Buffer.from(original);
              changed[at] = (changed[at] as number) ^ mask;
              mutations += 1;
              withChange(table, row, column, changed, (report) => {
                const where = `${table} ${String(row[KEYS[table]])} ${column}[${at}] ^ ${mask}`;
                expect(report.ok, where).toBe(false);
                const named = report.problems.some((p) =>
                  table === 'entries'
                    ? p.table === 'entries' && p.seq === row.seq
                    : p.table === 'batches' && p.index === row.idx,
                );
                expect(named, `${where}: ${JSON.stringify(report.problems)}`).toBe(true);
              });
            }
          }
        }
      }
    }
    expect(mutations).toBeGreaterThan(2500);
  });

  it('reports changed integer keys, lengths and meta values', () => {
    const cases: [Table, string, (row: Row) => unknown][] = [
      ['entries', 'seq', (row) => (row.seq as number) + 100],
      ['entries', 'data', (row) => (row.data as Buffer).subarray(1)],
      ['entries', 'hash', (row) => Buffer.concat([row.hash as Buffer, Buffer.of(0)])],
      ['entries', 'hash', () => 42],
      ['batches', 'idx', (row) => (row.idx as number) + 100],
      ['batches', 'last_seq', (row) => (row.last_seq as number) + 1],
      ['batches', 'record', () => 'text'],
      ['meta', 'value', (row) => (row.value as number) + 1],
      ['meta', 'value', (row) => (row.value as number) + 4],
      ['meta', 'value', () => -1],
      ['meta', 'key', (row) => `${String(row.key)}x`],
    ];
    for (const [table, column, change] of cases) {
      for (const row of rows(table)) {
        withChange(table, row, column, change(row), (report) => {
          expect(report.ok, `${table}.${column} of ${String(row[KEYS[table]])}`).toBe(false);
          expect(report.problems.some((p) => p.table === table || table === 'meta')).toBe(true);
        });
      }
    }
  });

  it('reports deleted rows', () => {
    for (const table of ['entries', 'batches', 'meta'] as const) {
      for (const row of rows(table)) {
        const columns = Object.keys(row);
        raw.prepare(`DELETE FROM ${table} WHERE ${KEYS[table]} = ?`).run(row[KEYS[table]]);
        const report = verifyServiceLogDatabase(raw);
        raw
          .prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
          .run(...columns.map((c) => row[c]));
        expect(report.ok, `${table} ${String(row[KEYS[table]])} deleted`).toBe(false);
      }
    }
    expect(verifyServiceLogDatabase(raw).ok).toBe(true);
  });

  it('lists at most maxProblems problems but counts them all', () => {
    raw.exec('BEGIN');
    try {
      raw.prepare('UPDATE entries SET hash = zeroblob(32)').run();
      const report = verifyServiceLogDatabase(raw, { maxProblems: 3 });
      expect(report.problems).toHaveLength(3);
      expect(report.problemCount).toBeGreaterThan(3);
    } finally {
      raw.exec('ROLLBACK');
    }
    expect(verifyServiceLogDatabase(raw).ok).toBe(true);
  });

  it('makes a tampered log fail to open or fail verify()', () => {
    // Each row of the restored log has been exercised above; here the open path gets its turn on a copy.
    const { file: copy, cleanup: drop } = tempDir();
    try {
      raw.exec(`VACUUM INTO '${copy}'`);
      const db = new Database(copy);
      db.prepare('UPDATE entries SET data = ? WHERE seq = 6').run(Buffer.alloc(120));
      db.close();
      const log = ServiceLog.open({ path: copy, batchSize: 4 }); // entry 6 is sealed: open reads only the tail
      expect(log.verify().problems).toContainEqual(expect.objectContaining({ table: 'entries', seq: 6 }));
      expect(() => log.prove(6)).toThrow(ServiceLogError);
      log.close();
    } finally {
      drop();
    }
  });
});
