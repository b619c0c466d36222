/**
 * Runs SQLite integrity checks off the main thread: on an SD card a check of a large database takes minutes, and
 * the main thread must keep kicking the watchdog meanwhile. Started by sqlite.ts with the files and the mode;
 * posts one result per file and exits.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

interface Job {
  readonly files: readonly string[];
  readonly mode: 'quick' | 'full';
}

const MAX_PROBLEMS = 10;
const { files, mode } = workerData as Job;
const results = files.map((file) => {
  let db: Database.Database | undefined;
  try {
    // Quick checks run before the node opens its files, read-write, so SQLite rolls back a hot journal or
    // replays a WAL left by the power cut first; the full check runs beside the serving node, read-only.
    db = new Database(file, { fileMustExist: true, readonly: mode === 'full', timeout: 10_000 });
    const rows = db.pragma(`${mode === 'quick' ? 'quick_check' : 'integrity_check'}(${MAX_PROBLEMS})`) as Record<string, unknown>[];
    const messages = rows.map((row) => String(Object.values(row)[0]));
    return messages.length === 1 && messages[0] === 'ok' ? { file, ok: true } : { file, ok: false, problems: messages };
  } catch (error) {
    return { file, ok: false, problems: [error instanceof Error ? error.message : String(error)] };
  } finally {
    db?.close();
  }
});
parentPort!.postMessage(results);
