/**
 * Every receipt a worker accepted, by hash, for the audit window (SPEC §6 item 5: "managers sample log entries"):
 * the book keeps only the latest receipt per channel — what settles — but an auditor that samples a service-log
 * entry asks for the receipt its `receiptHash` names, and a log entry without a valid receipt behind it is an
 * inflated log. Session authorisations repeat across a channel's receipts, so they are kept once by hash.
 *
 * SQLite (WAL, synchronous FULL) or memory; `group` lets a worker's group commit write a turn's receipts with one
 * sync. Old receipts are pruned by the time they were archived.
 */
import Database from 'better-sqlite3';
import { sha256, toHex } from '../../crypto/index.ts';
import { WorkerError } from '../errors.ts';

export interface ArchivedReceipt {
  readonly receipt: Uint8Array;
  readonly authorization: Uint8Array;
  /** When it was archived (ms). */
  readonly at: number;
}

export interface ReceiptArchive {
  put(hash: Uint8Array, receipt: Uint8Array, authorization: Uint8Array, at: number): void;
  get(hash: Uint8Array): ArchivedReceipt | undefined;
  /** Runs `fn`, whose puts become durable together. */
  group(fn: () => void): void;
  /** Forgets receipts archived before `at`; returns how many. */
  prune(before: number): number;
  close(): void;
}

export class MemoryReceiptArchive implements ReceiptArchive {
  readonly #rows = new Map<string, ArchivedReceipt>();

  put(hash: Uint8Array, receipt: Uint8Array, authorization: Uint8Array, at: number): void {
    this.#rows.set(toHex(hash), { receipt: receipt.slice(), authorization: authorization.slice(), at });
  }

  get(hash: Uint8Array): ArchivedReceipt | undefined {
    return this.#rows.get(toHex(hash));
  }

  group(fn: () => void): void {
    fn();
  }

  prune(before: number): number {
    let gone = 0;
    for (const [key, row] of this.#rows) {
      if (row.at < before) {
        this.#rows.delete(key);
        gone += 1;
      }
    }
    return gone;
  }

  close(): void {}
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS auths (hash BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (hash BLOB PRIMARY KEY, receipt BLOB NOT NULL, auth BLOB NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS receipts_at ON receipts (at);
`;

export class SqliteReceiptArchive implements ReceiptArchive {
  readonly #db: Database.Database;
  readonly #insertAuth: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #select: Database.Statement<[Buffer], { receipt: Buffer; bytes: Buffer; at: number }>;
  readonly #prune: Database.Statement;
  readonly #pruneAuths: Database.Statement;
  readonly #ownsDb: boolean;

  private constructor(db: Database.Database, ownsDb: boolean) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    this.#insertAuth = db.prepare('INSERT OR IGNORE INTO auths (hash, bytes) VALUES (?, ?)');
    this.#insert = db.prepare('INSERT OR IGNORE INTO receipts (hash, receipt, auth, at) VALUES (?, ?, ?, ?)');
    this.#select = db.prepare('SELECT r.receipt, a.bytes, r.at FROM receipts r JOIN auths a ON a.hash = r.auth WHERE r.hash = ?');
    this.#prune = db.prepare('DELETE FROM receipts WHERE at < ?');
    this.#pruneAuths = db.prepare('DELETE FROM auths WHERE hash NOT IN (SELECT auth FROM receipts)');
  }

  static open(path: string): SqliteReceiptArchive {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      return new SqliteReceiptArchive(db, true);
    } catch (error) {
      db.close();
      throw new WorkerError('BAD_STORE', `${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * The archive's tables in a file shared with other tables (a worker's service log, whose group commit then
   * writes a request's receipt in the same transaction as its entry). The caller keeps the connection in WAL with
   * synchronous FULL and closes it.
   */
  static on(db: Database.Database): SqliteReceiptArchive {
    try {
      db.exec(SCHEMA);
    } catch (error) {
      throw new WorkerError('BAD_STORE', `receipt archive tables: ${(error as Error).message}`, { cause: error });
    }
    return new SqliteReceiptArchive(db, false);
  }

  put(hash: Uint8Array, receipt: Uint8Array, authorization: Uint8Array, at: number): void {
    const auth = Buffer.from(sha256(authorization));
    this.#insertAuth.run(auth, Buffer.from(authorization));
    this.#insert.run(Buffer.from(hash), Buffer.from(receipt), auth, at);
  }

  get(hash: Uint8Array): ArchivedReceipt | undefined {
    const row = this.#select.get(Buffer.from(hash));
    return row === undefined ? undefined : { receipt: new Uint8Array(row.receipt), authorization: new Uint8Array(row.bytes), at: row.at };
  }

  group(fn: () => void): void {
    this.#db.transaction(fn).immediate();
  }

  prune(before: number): number {
    const gone = this.#db.transaction(() => {
      const n = this.#prune.run(before).changes;
      if (n > 0) this.#pruneAuths.run();
      return n;
    });
    return gone.immediate();
  }

  close(): void {
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }
}
