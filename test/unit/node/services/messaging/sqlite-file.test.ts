/** Relay SQLite files: WAL + FULL, one file shared by mailbox and directory, other formats and non-databases refused. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION, openDatabase } from '../../../../../node/services/messaging/sqlite-file.ts';
import { codeOf } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-sqlite-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('relay sqlite files', () => {
  it('open in WAL mode with synchronous FULL and record each store\'s format', () => {
    const path = join(dir, 'ok.db');
    const db = openDatabase(path, 'one', 'CREATE TABLE IF NOT EXISTS t (x)');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
    const other = openDatabase(path, 'two', 'CREATE TABLE IF NOT EXISTS u (y)');
    const rows = other.prepare('SELECT store, version FROM formats ORDER BY store').all();
    expect(rows).toEqual([
      { store: 'one', version: FORMAT_VERSION },
      { store: 'two', version: FORMAT_VERSION },
    ]);
    other.close();
  });

  it('refuse a file of another format version, and a file that is not SQLite, with MALFORMED', () => {
    const path = join(dir, 'future.db');
    openDatabase(path, 'one', '').close();
    const raw = new Database(path);
    raw.prepare('UPDATE formats SET version = ? WHERE store = ?').run(FORMAT_VERSION + 1, 'one');
    raw.close();
    expect(codeOf(() => openDatabase(path, 'one', ''))).toBe('MALFORMED');
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, Buffer.alloc(4096, 0x41));
    expect(codeOf(() => openDatabase(junk, 'one', ''))).toBe('MALFORMED');
  });
});
