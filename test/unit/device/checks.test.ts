import Database from 'better-sqlite3';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimSystemInfo } from '../../../hal/index.ts';
import {
  checkSqliteFiles,
  dataWritableCheck,
  findSqliteFiles,
  freeSpaceCheck,
  runCheck,
  sqliteQuickCheck,
  temperatureCheck,
} from '../../../device/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ame-device-checks-'));
  dirs.push(d);
  return d;
}

function goodDatabase(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v);');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 500; i++) insert.run(`value ${i}`);
  })();
  db.close();
}

describe('SQLite checks (in a worker thread)', () => {
  it('finds the databases under a dir, not their journals', () => {
    const d = tmp();
    mkdirSync(join(d, 'worker'));
    for (const f of ['worker/blobs.sqlite', 'worker/blobs.sqlite-wal', 'a.db', 'notes.txt', 'b.sqlite3']) writeFileSync(join(d, f), '');
    expect(findSqliteFiles(d)).toEqual([join(d, 'a.db'), join(d, 'b.sqlite3'), join(d, 'worker/blobs.sqlite')]);
  });

  it('passes intact databases and names a file that is not one, in both modes', async () => {
    const d = tmp();
    goodDatabase(join(d, 'good.sqlite'));
    writeFileSync(join(d, 'bad.sqlite'), Buffer.alloc(8192, 7));
    for (const mode of ['quick', 'full'] as const) {
      const results = await checkSqliteFiles(findSqliteFiles(d), mode);
      expect(results.map((r) => [r.file, r.ok])).toEqual([
        [join(d, 'bad.sqlite'), false],
        [join(d, 'good.sqlite'), true],
      ]);
      expect(results[0]!.problems?.join()).toMatch(/not a database/);
    }
  });

  it('finds a damaged page in a database whose header is intact', async () => {
    const d = tmp();
    const path = join(d, 'torn.sqlite');
    goodDatabase(path);
    // Overwrite the middle of the file (index and table pages) as a torn write would.
    const db = new Database(path);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.close();
    expect(pages).toBeGreaterThan(3);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, pageSize * 2);
    closeSync(fd);
    const check = await runCheck(sqliteQuickCheck(d));
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(/^torn\.sqlite: /);
  });

  it('no databases is a pass', async () => {
    expect(await runCheck(sqliteQuickCheck(tmp()))).toEqual({ ok: true, detail: '0 database(s) ok' });
  });
});

describe('data mount checks', () => {
  it('free space against the threshold', async () => {
    const d = tmp();
    expect((await runCheck(freeSpaceCheck(d, () => 0))).ok).toBe(true);
    const tooMuch = await runCheck(freeSpaceCheck(d, () => Number.MAX_SAFE_INTEGER));
    expect(tooMuch.ok).toBe(false);
    expect(!tooMuch.ok && tooMuch.reason).toMatch(/free on the data mount, below the .* required/);
  });

  it('writability: a dir that refuses writes fails the check', async () => {
    const d = tmp();
    expect(await runCheck(dataWritableCheck(d))).toEqual({ ok: true });
    // Root ignores permission bits, so a path under a regular file stands for a read-only mount.
    writeFileSync(join(d, 'file'), '');
    const failed = await runCheck(dataWritableCheck(join(d, 'file')));
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.reason).toContain('does not take writes');
  });

  it('temperature over the limit; no sensor is fine', async () => {
    const sysinfo = createSimSystemInfo({ temperatureC: 85 });
    expect(await runCheck(temperatureCheck(sysinfo, () => 80))).toEqual({ ok: false, reason: '85 °C, above the 80 °C limit' });
    sysinfo.set({ temperatureC: null });
    expect(await runCheck(temperatureCheck(sysinfo, () => 80))).toEqual({ ok: true });
  });

  it('a check that throws is a failure with its message', async () => {
    expect(await runCheck({ name: 'x', severity: 'fatal', run: () => Promise.reject(new Error('boom')) })).toEqual({ ok: false, reason: 'boom' });
  });
});
