/**
 * What the director must never forget, in its own SQLite file: per device the last director version signed, the
 * target it named, and the last desired-state sequence number published. A version or sequence number reused
 * after a restart would be refused by the device (ROLLBACK, REPLAY), so each is on disk (WAL, synchronous FULL)
 * before the document carrying it leaves the controller.
 */
import Database from 'better-sqlite3';
import { fromHex, toHex } from '../../node/crypto/index.ts';
import type { DirectorTarget } from '../../node/update/index.ts';
import { ControllerError } from './errors.ts';

export interface DirectorRecord {
  readonly version: number;
  readonly target: DirectorTarget;
  /** The sequence number of the last desired state published to the device. */
  readonly seq: number;
  /** That desired state's envelope, as published (re-published at start: a restarted broker lost it). */
  readonly payload: Uint8Array;
}

interface Row {
  version: number;
  name: string;
  length: number;
  sha256: string;
  seq: number;
  payload: Buffer;
}

const toRecord = (row: Row): DirectorRecord => ({
  version: row.version,
  seq: row.seq,
  target: { name: row.name, length: row.length, sha256: fromHex(row.sha256, 'sha256', 32) },
  payload: new Uint8Array(row.payload),
});

export class DirectorStore {
  readonly #db: Database.Database;

  constructor(path: string) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS director_devices (device TEXT PRIMARY KEY, version INTEGER NOT NULL, name TEXT NOT NULL, length INTEGER NOT NULL, sha256 TEXT NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL) WITHOUT ROWID',
      );
    } catch (cause) {
      throw new ControllerError('STORE_FAILED', `cannot open the director store ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  get(device: string): DirectorRecord | undefined {
    const row = this.#run(() => this.#db.prepare<[string], Row>('SELECT * FROM director_devices WHERE device = ?').get(device));
    return row === undefined ? undefined : toRecord(row);
  }

  /** Every device's record, by device id. */
  all(): { readonly device: string; readonly record: DirectorRecord }[] {
    const rows = this.#run(() => this.#db.prepare<[], Row & { device: string }>('SELECT * FROM director_devices ORDER BY device').all());
    return rows.map((row) => ({ device: row.device, record: toRecord(row) }));
  }

  put(device: string, record: DirectorRecord): void {
    const { target } = record;
    this.#run(() =>
      this.#db
        .prepare('INSERT OR REPLACE INTO director_devices (device, version, name, length, sha256, seq, payload) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(device, record.version, target.name, target.length, toHex(target.sha256), record.seq, Buffer.from(record.payload)),
    );
  }

  close(): void {
    this.#db.close();
  }

  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new ControllerError('STORE_FAILED', `the director store failed: ${(cause as Error).message}`, { cause });
    }
  }
}
