/**
 * Opening a relay's SQLite file: WAL with synchronous FULL (what returned is on disk), and a per-store format
 * version in a `formats` table, so the mailbox and the prekey directory can share one file and each refuses a file
 * written by another version of itself.
 */
import Database from 'better-sqlite3';
import { ServiceError } from '../errors.ts';

export const FORMAT_VERSION = 1;

export function openDatabase(path: string, store: string, schema: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new ServiceError('MALFORMED', `cannot open ${path} as SQLite`, { cause });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS formats (store TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID');
      const row = db.prepare<[string], { version: number }>('SELECT version FROM formats WHERE store = ?').get(store);
      if (row !== undefined && row.version !== FORMAT_VERSION) {
        const found = `${path} holds ${store} format ${row.version}`;
        throw new ServiceError('MALFORMED', `${found}, this build reads ${FORMAT_VERSION}`);
      }
      db.exec(schema);
      if (row === undefined) db.prepare('INSERT INTO formats (store, version) VALUES (?, ?)').run(store, FORMAT_VERSION);
    }).immediate();
    return db;
  } catch (error) {
    db.close();
    if (error instanceof ServiceError) throw error;
    throw new ServiceError('MALFORMED', `${path} is not a usable ${store} file`, { cause: error });
  }
}
