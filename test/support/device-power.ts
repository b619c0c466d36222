/**
 * What a device's data folder holds after a power cut, read straight from its files while the agent is down
 * (test/long/device/power-loss.test.ts): SQLite's integrity_check of every database, the receipt book's latest
 * receipt per channel, the receipt archive and the service log's entries (the receipt each names), and the
 * folder's size. Every database is opened read-only, so reading changes nothing the next boot recovers.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toHex } from '../../node/crypto/index.ts';
import { decodeReceipt } from '../../node/ledger/index.ts';
import { decodeEntry } from '../../node/store/service-log-entry.ts';

/** The suffixes the agent's own SQLite checks look for (device/checks/sqlite.ts). */
const DATABASE_SUFFIXES = ['.sqlite', '.sqlite3', '.db'];

function walk(dir: string, visit: (path: string, size: number) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else if (entry.isFile()) visit(path, statSync(path).size);
  }
}

/** Every database file under `dir` (their -wal and -shm files belong to them), sorted. */
export function databaseFiles(dir: string): string[] {
  const found: string[] = [];
  walk(dir, (path) => {
    if (DATABASE_SUFFIXES.some((s) => path.endsWith(s))) found.push(path);
  });
  return found.sort();
}

/** Bytes of every file under `dir`, and of the databases with their -wal and -shm files. */
export function folderBytes(dir: string): { total: number; databases: number } {
  let total = 0;
  let databases = 0;
  walk(dir, (path, size) => {
    total += size;
    if (DATABASE_SUFFIXES.some((s) => path.endsWith(s) || path.endsWith(`${s}-wal`) || path.endsWith(`${s}-shm`))) databases += size;
  });
  return { total, databases };
}

function readOnly<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of every database under `dir`: one line per problem ("file: what"), empty when all pass. */
export function integrityProblems(dir: string): string[] {
  const problems: string[] = [];
  for (const file of databaseFiles(dir)) {
    const name = file.slice(dir.length + 1);
    try {
      const rows = readOnly(file, (db) => db.pragma('integrity_check') as { integrity_check: string }[]);
      const lines = rows.map((r) => r.integrity_check);
      if (lines.length !== 1 || lines[0] !== 'ok') problems.push(`${name}: ${lines.slice(0, 5).join('; ')}`);
    } catch (error) {
      problems.push(`${name}: cannot be read: ${(error as Error).message}`);
    }
  }
  return problems;
}

export interface WorkerFiles {
  /** The receipt book's latest receipt per channel (hex id): its cumulative amount and nonce. */
  readonly book: ReadonlyMap<string, { readonly amount: bigint; readonly nonce: bigint }>;
  /** Hashes (hex) of the receipts the archive holds. */
  readonly archived: ReadonlySet<string>;
  /** The service log's entries still in the file: sequence number and the hash (hex) of the receipt that paid. */
  readonly logged: readonly { readonly seq: number; readonly receipt: string }[];
}

/**
 * The payments side of a worker's folder (`<node data>/worker`; node/worker/worker-node.ts), read as the files hold
 * it: the book's and the archive's tables are in service-log.sqlite beside the log's (payments/worker-records.ts),
 * or, left by an earlier version, in receipts.sqlite and receipt-archive.sqlite. Missing tables read as empty.
 */
export function readWorkerFiles(workerDir: string): WorkerFiles {
  const files = new Set(readdirSync(workerDir));
  /** The first of `names` present that holds `table`. */
  const holding = (table: string, names: string[]): string | undefined =>
    names
      .filter((name) => files.has(name))
      .map((name) => join(workerDir, name))
      .find((path) => readOnly(path, (db) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined));
  const book = new Map<string, { amount: bigint; nonce: bigint }>();
  const bookFile = holding('book_receipt', ['service-log.sqlite', 'receipts.sqlite']);
  if (bookFile !== undefined) {
    readOnly(bookFile, (db) => {
      for (const row of db.prepare('SELECT channel, receipt FROM book_receipt').all() as { channel: Buffer; receipt: Buffer }[]) {
        const { amount, nonce } = decodeReceipt(new Uint8Array(row.receipt)).fields;
        book.set(toHex(new Uint8Array(row.channel)), { amount, nonce });
      }
    });
  }
  const archived = new Set<string>();
  const archiveFile = holding('receipts', ['service-log.sqlite', 'receipt-archive.sqlite']);
  if (archiveFile !== undefined) {
    readOnly(archiveFile, (db) => {
      for (const row of db.prepare('SELECT hash FROM receipts').all() as { hash: Buffer }[]) archived.add(toHex(new Uint8Array(row.hash)));
    });
  }
  const logged: { seq: number; receipt: string }[] = [];
  const logFile = holding('entries', ['service-log.sqlite']);
  if (logFile !== undefined) {
    readOnly(logFile, (db) => {
      for (const row of db.prepare('SELECT data FROM entries ORDER BY seq').all() as { data: Buffer }[]) {
        const entry = decodeEntry(new Uint8Array(row.data));
        logged.push({ seq: entry.seq, receipt: toHex(entry.receiptHash) });
      }
    });
  }
  return { book, archived, logged };
}
