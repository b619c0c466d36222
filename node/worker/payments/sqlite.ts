/**
 * The SQLite file of a spender or a receipt book. WAL with synchronous=FULL makes a commit durable when it
 * returns, which is the whole point: a receipt is handed out, or acknowledged, only after the commit that
 * records it.
 */
import Database from 'better-sqlite3';
import { WorkerError } from '../errors.ts';

export const PAYMENTS_FORMAT = 1;

/** Opens (or creates) `path` and runs `schema` (idempotent DDL); BAD_STORE if it is not a payments file of ours. */
export function openPaymentsDb(path: string, schema: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw new WorkerError('BAD_STORE', `cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const format = Number(db.pragma('user_version', { simple: true }));
    if (format !== 0 && format !== PAYMENTS_FORMAT) {
      throw new WorkerError('BAD_STORE', `${path} has payments format ${format}, this build reads ${PAYMENTS_FORMAT}`);
    }
    db.transaction(() => {
      db.exec(schema);
      db.pragma(`user_version = ${PAYMENTS_FORMAT}`);
    })();
    return db;
  } catch (error) {
    db.close();
    if (error instanceof WorkerError) throw error;
    throw new WorkerError('BAD_STORE', `${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Runs a store operation, turning a closed store into CLOSED and a failing write into STORE_FAILED. */
export function guarded<T>(closed: boolean, what: string, fn: () => T): T {
  if (closed) throw new WorkerError('CLOSED', `${what}: the store is closed`);
  try {
    return fn();
  } catch (error) {
    if (error instanceof WorkerError) throw error;
    throw new WorkerError('STORE_FAILED', `${what}: ${(error as Error).message}`, { cause: error });
  }
}
