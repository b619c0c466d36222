/**
 * SQLite integrity checks of the node's databases (SPEC.md §9, §12 "Disqualified for an accident"): the quick
 * check before serving after an unclean stop, the full one in the background once serving. Both run in a worker
 * thread (sqlite-worker.ts) because better-sqlite3 is synchronous.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface SqliteFileResult {
  readonly file: string;
  readonly ok: boolean;
  /** What SQLite reported (at most 10 lines), or why the file could not be opened. */
  readonly problems?: readonly string[];
}

const DATABASE_SUFFIXES = ['.sqlite', '.sqlite3', '.db'];

/** The database files under `dir`, recursively (journals and WAL files belong to their database). */
export function findSqliteFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    let entries;
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && DATABASE_SUFFIXES.some((s) => entry.name.endsWith(s))) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/** Checks every file in one worker thread; never rejects for a bad database (that is a result), only if the worker dies. */
export function checkSqliteFiles(files: readonly string[], mode: 'quick' | 'full'): Promise<SqliteFileResult[]> {
  if (files.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sqlite-worker.ts', import.meta.url), { workerData: { files: [...files], mode } });
    let done = false;
    worker.once('message', (results: SqliteFileResult[]) => {
      done = true;
      resolve(results);
    });
    worker.once('error', (error) => {
      done = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`the SQLite check worker exited with ${code} before reporting`));
    });
  });
}

/** One line per failed file: "node/worker/blobs.sqlite: file is not a database". */
export function describeSqliteFailures(results: readonly SqliteFileResult[], base: string): string[] {
  return results
    .filter((r) => !r.ok)
    .map((r) => `${r.file.startsWith(`${base}/`) ? r.file.slice(base.length + 1) : r.file}: ${(r.problems ?? []).join('; ')}`);
}
