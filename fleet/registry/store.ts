/**
 * The registry's SQLite file: WAL with synchronous FULL (a call that returned is on disk), foreign keys on, and the
 * migrations of schema.ts. Every table module runs its statements through `RegistryStore.run`, which turns a
 * closed registry into CLOSED and an SQLite failure into STORE_FAILED, while the registry's own typed refusals pass
 * through unchanged.
 */
import Database from 'better-sqlite3';
import { RegistryError } from './errors.ts';
import { MIGRATIONS, REGISTRY_FORMAT } from './schema.ts';

function openDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new RegistryError('BAD_STORE', `cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const format = Number(db.pragma('user_version', { simple: true }));
    if (format > REGISTRY_FORMAT) {
      throw new RegistryError('BAD_STORE', `${path} has registry format ${format}, this build reads up to ${REGISTRY_FORMAT}`);
    }
    if (format === 0) {
      // A format-0 file with tables is another program's database: migrating it would mix two schemas.
      const { n } = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (n > 0) throw new RegistryError('BAD_STORE', `${path} holds tables but is not a fleet registry`);
    }
    for (let v = format; v < REGISTRY_FORMAT; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
    return db;
  } catch (cause) {
    db.close();
    if (cause instanceof RegistryError) throw cause;
    throw new RegistryError('BAD_STORE', `${path}: ${(cause as Error).message}`, { cause });
  }
}

export class RegistryStore {
  readonly db: Database.Database;
  #closed = false;

  constructor(path: string) {
    this.db = openDatabase(path);
  }

  /** Runs `fn` (in a transaction when `write`), mapping failures to typed errors named by `what`. */
  run<T>(what: string, fn: () => T, write = false): T {
    if (this.#closed) throw new RegistryError('CLOSED', `${what}: the registry is closed`);
    try {
      return write && !this.db.inTransaction ? this.db.transaction(fn).immediate() : fn();
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError('STORE_FAILED', `${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}
