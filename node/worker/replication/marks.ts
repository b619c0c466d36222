/**
 * Which parts of which blobs this worker has put on the ring (`replication.sqlite` beside the blob store). The
 * blob store is the source of truth: a part held locally without a mark is due, so losing a mark (a crash right
 * after a put) costs one put again, never a part left unreplicated. That is why marks need no synchronous commit.
 */
import Database from 'better-sqlite3';
import { WorkerError } from '../errors.ts';

/** The part number of a blob's manifest; chunk i is part i. */
export const MANIFEST_PART = -1;

export class ReplicationMarks {
  readonly #db: Database.Database;
  readonly #mark: Database.Statement;
  readonly #parts: Database.Statement;
  #closed = false;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#mark = db.prepare('INSERT OR IGNORE INTO marks (address, part) VALUES (?, ?)');
    this.#parts = db.prepare('SELECT part FROM marks WHERE address = ?').pluck();
  }

  static open(path: string): ReplicationMarks {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec('CREATE TABLE IF NOT EXISTS marks (address BLOB NOT NULL, part INTEGER NOT NULL, PRIMARY KEY (address, part)) WITHOUT ROWID');
    } catch (error) {
      throw new WorkerError('BAD_STORE', `cannot open ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new ReplicationMarks(db);
  }

  mark(address: Uint8Array, parts: readonly number[]): void {
    this.#guard();
    this.#db.transaction(() => {
      for (const part of parts) this.#mark.run(address, part);
    })();
  }

  /** The parts of `address` marked as on the ring. */
  marked(address: Uint8Array): Set<number> {
    this.#guard();
    return new Set(this.#parts.all(address) as number[]);
  }

  /** Forgets every mark: the next pass puts every held part again (a graceful exit's hand-over). */
  clear(): void {
    this.#guard();
    this.#db.exec('DELETE FROM marks');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #guard(): void {
    if (this.#closed) throw new WorkerError('CLOSED', 'replication marks: the store is closed');
  }
}
