/**
 * Where a payee keeps its latest receipt per channel, with the authorisation that makes it settleable, what the
 * ledger has paid on it, and since when an unsettled amount has been waiting. Only the latest receipt matters:
 * amounts are cumulative, so an older one can never be worth more.
 *
 * A write never replaces a row with a lower nonce, nor lowers `paid`: should a stale book (a process thought
 * dead) still flush, it cannot undo what a newer one stored.
 */
import type Database from 'better-sqlite3';
import { WorkerError } from '../errors.ts';
import { keyOf } from './amounts.ts';
import { guarded, openPaymentsDb } from './sqlite.ts';

export interface BookRow {
  readonly channel: Uint8Array;
  readonly receipt: Uint8Array;
  readonly authorization: Uint8Array;
  /** The receipt's nonce (the store does not decode receipts). */
  readonly nonce: bigint;
  /** What the ledger has paid this payee on the channel, as far as the book was told. */
  readonly paid: bigint;
  /** Unix ms since which some amount has been unsettled; null when nothing is. */
  readonly since: number | null;
}

export interface BookStore {
  load(): BookRow[];
  /** Replaces the rows of these channels in one durable transaction. */
  write(rows: readonly BookRow[]): void;
  close(): void;
}

const copy = (row: BookRow): BookRow => ({
  channel: Uint8Array.from(row.channel),
  receipt: Uint8Array.from(row.receipt),
  authorization: Uint8Array.from(row.authorization),
  nonce: row.nonce,
  paid: row.paid,
  since: row.since,
});

/** Not durable: for tests and the simulator, where "restart" means a new book over the same store object. */
export class MemoryBookStore implements BookStore {
  readonly #rows = new Map<string, BookRow>();
  #closed = false;
  /** Transactions written, so tests can see that a group of accepts cost one. */
  commits = 0;

  load(): BookRow[] {
    return guarded(this.#closed, 'load', () => [...this.#rows.values()].map(copy));
  }

  write(rows: readonly BookRow[]): void {
    guarded(this.#closed, 'write', () => {
      for (const row of rows) {
        const key = keyOf(row.channel);
        const stored = this.#rows.get(key);
        if (stored !== undefined && row.nonce < stored.nonce) continue;
        this.#rows.set(key, copy(stored !== undefined && stored.paid > row.paid ? { ...row, paid: stored.paid } : row));
      }
      this.commits += 1;
    });
  }

  close(): void {
    this.#closed = true;
  }
}

// u64 values as zero-padded decimal text: SQLite integers are signed 64-bit, and padded text compares in order.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS book_receipt (
  channel BLOB PRIMARY KEY, receipt BLOB NOT NULL, authorization BLOB NOT NULL, nonce TEXT NOT NULL,
  paid TEXT NOT NULL, since INTEGER
) WITHOUT ROWID;
`;
const u64Text = (n: bigint): string => n.toString().padStart(20, '0');

interface StoredRow {
  channel: Buffer;
  receipt: Buffer;
  authorization: Buffer;
  nonce: string;
  paid: string;
  since: number | null;
}

export class SqliteBookStore implements BookStore {
  readonly #db: Database.Database;
  readonly #write: (rows: readonly BookRow[]) => void;
  readonly #ownsDb: boolean;
  #closed = false;

  private constructor(db: Database.Database, ownsDb: boolean) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    const upsert = db.prepare(
      `INSERT INTO book_receipt (channel, receipt, authorization, nonce, paid, since) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel) DO UPDATE SET receipt = excluded.receipt, authorization = excluded.authorization,
         nonce = excluded.nonce, paid = max(paid, excluded.paid), since = excluded.since
       WHERE excluded.nonce >= nonce`,
    );
    this.#write = db.transaction((rows: readonly BookRow[]) => {
      for (const r of rows) {
        const bytes = [r.channel, r.receipt, r.authorization].map((b) => Buffer.from(b));
        upsert.run(...bytes, u64Text(r.nonce), u64Text(r.paid), r.since);
      }
    });
  }

  /** Opens (or creates) the file at `path`; ':memory:' for a throwaway book. */
  static open(path: string): SqliteBookStore {
    return new SqliteBookStore(openPaymentsDb(path, SCHEMA), true);
  }

  /**
   * The book's table in a file shared with other tables (a worker's service log: one sync per turn for its
   * receipts and log). The caller keeps the connection in WAL with synchronous FULL and closes it; a write inside
   * the caller's transaction is durable when that transaction commits.
   */
  static on(db: Database.Database): SqliteBookStore {
    try {
      db.exec(SCHEMA);
    } catch (error) {
      throw new WorkerError('BAD_STORE', `receipt book table: ${(error as Error).message}`, { cause: error });
    }
    return new SqliteBookStore(db, false);
  }

  load(): BookRow[] {
    return guarded(this.#closed, 'load', () =>
      (this.#db.prepare('SELECT channel, receipt, authorization, nonce, paid, since FROM book_receipt').all() as StoredRow[]).map(
        (r) => ({
          channel: new Uint8Array(r.channel),
          receipt: new Uint8Array(r.receipt),
          authorization: new Uint8Array(r.authorization),
          nonce: BigInt(r.nonce),
          paid: BigInt(r.paid),
          since: r.since,
        }),
      ),
    );
  }

  write(rows: readonly BookRow[]): void {
    guarded(this.#closed, 'write', () => this.#write(rows));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDb) this.#db.close();
  }
}
