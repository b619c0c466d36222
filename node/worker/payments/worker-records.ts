/**
 * A worker's receipts and its service log in one SQLite file (WAL, synchronous FULL): the receipt book's latest
 * receipt per channel, the archive of every accepted receipt, and the log's entries and batches. One file means one
 * transaction, and so one sync, per event-loop turn for all three — the log's group commit (ServiceLog.stage and
 * appendAsync's `alongside`) writes the book's rows and a request's archived receipt together with its entry:
 *
 *   - a request is acknowledged only after its receipt, its archived copy and its log entry are on disk (the data
 *     it stored is in the blob store or mailbox, synced before the entry is appended);
 *   - a log entry is never on disk without its archived receipt, however the log is written (sealed by a quiet
 *     timer, flushed at close): the audits that sample sealed entries always find the receipt.
 *
 * The file keeps the log's name (`service-log.sqlite`), which the device checks before serving. Workers of earlier
 * versions kept the book and the archive in files of their own (`receipts.sqlite`, `receipt-archive.sqlite`): their
 * rows are copied in when the file opens (the book's under its own rule: never a lower nonce, never a lower
 * `paid`), then those files are deleted — a crash in between copies them again, to the same result.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ServiceLog } from '../../store/index.ts';
import { WorkerError } from '../errors.ts';
import { SqliteBookStore } from './book-store.ts';
import type { SharedCommit } from './group-commit.ts';
import { SqliteReceiptArchive } from './receipt-archive.ts';
import { PAYMENTS_FORMAT } from './sqlite.ts';

export const RECORDS_FILE = 'service-log.sqlite';
/** The files of earlier versions, folded into RECORDS_FILE at open. */
export const LEGACY_BOOK_FILE = 'receipts.sqlite';
export const LEGACY_ARCHIVE_FILE = 'receipt-archive.sqlite';

/** WAL file size kept after a checkpoint (as the service log alone keeps it). */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

export interface WorkerRecordsOptions {
  /** The worker's folder. */
  readonly dir: string;
  readonly now?: () => number;
  /** Service-log entries per sealed batch (default the log's). */
  readonly batchSize?: number;
}

export interface WorkerRecords {
  readonly log: ServiceLog;
  readonly bookStore: SqliteBookStore;
  readonly archive: SqliteReceiptArchive;
  /** The log's group commit, for the book (ReceiptBookOptions.commit). */
  readonly commit: SharedCommit;
  /** Closes the log (writing what waits), the book's and the archive's tables, and the file. */
  close(): void;
}

export function openWorkerRecords(options: WorkerRecordsOptions): WorkerRecords {
  const path = join(options.dir, RECORDS_FILE);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    const bookStore = SqliteBookStore.on(db);
    const archive = SqliteReceiptArchive.on(db);
    migrateLegacy(db, options.dir);
    const log = ServiceLog.open({
      path,
      db,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    });
    return {
      log,
      bookStore,
      archive,
      commit: { run: (write) => log.stage(write) },
      close: () => {
        try {
          log.close();
        } finally {
          bookStore.close();
          archive.close();
          db.close();
        }
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Copies the rows of the legacy files in `dir` into `db`, then deletes those files. */
function migrateLegacy(db: Database.Database, dir: string): void {
  const copies: [file: string, statements: string[]][] = [
    [
      LEGACY_BOOK_FILE,
      [
        `INSERT INTO main.book_receipt (channel, receipt, authorization, nonce, paid, since)
           SELECT channel, receipt, authorization, nonce, paid, since FROM legacy.book_receipt WHERE true
         ON CONFLICT (channel) DO UPDATE SET receipt = excluded.receipt, authorization = excluded.authorization,
           nonce = excluded.nonce, paid = max(paid, excluded.paid), since = excluded.since
         WHERE excluded.nonce >= nonce`,
      ],
    ],
    [
      LEGACY_ARCHIVE_FILE,
      [
        'INSERT OR IGNORE INTO main.auths (hash, bytes) SELECT hash, bytes FROM legacy.auths',
        'INSERT OR IGNORE INTO main.receipts (hash, receipt, auth, at) SELECT hash, receipt, auth, at FROM legacy.receipts',
      ],
    ],
  ];
  for (const [file, statements] of copies) {
    const legacy = join(dir, file);
    if (!existsSync(legacy)) continue;
    db.prepare('ATTACH DATABASE ? AS legacy').run(legacy);
    try {
      const format = Number(db.pragma('legacy.user_version', { simple: true }));
      if (format !== 0 && format !== PAYMENTS_FORMAT) {
        throw new WorkerError('BAD_STORE', `${legacy} has payments format ${format}, this build reads ${PAYMENTS_FORMAT}`);
      }
      const tables = new Set(
        (db.prepare("SELECT name FROM legacy.sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
      );
      db.transaction(() => {
        for (const sql of statements) {
          const table = /FROM legacy\.(\w+)/.exec(sql)![1]!;
          if (tables.has(table)) db.exec(sql);
        }
      }).immediate();
    } catch (error) {
      if (error instanceof WorkerError) throw error;
      throw new WorkerError('BAD_STORE', `${legacy}: ${(error as Error).message}`, { cause: error });
    } finally {
      db.exec('DETACH DATABASE legacy');
    }
    // Copied and durable: the old file goes (its journal files first, so a crash leaves the file, copied again).
    for (const suffix of ['-wal', '-shm', '']) rmSync(`${legacy}${suffix}`, { force: true });
  }
}
