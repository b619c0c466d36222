/**
 * The SQLite layout of a service log, shared by the engine and the verifier.
 *
 * - entries: one row per retained entry; `data` is the entry encoding (seq included), `hash` the chain hash
 *   h_seq. Storing h_seq lets a proof or a reopen start mid-chain, and lets verify() catch a changed byte in
 *   the unsealed tail, which no batch root covers yet.
 * - batches: one row per sealed batch, kept for ever (retention deletes entries only); `last_seq` is indexed so
 *   a seq finds its batch, `hash` is the record hash the next record chains.
 * - meta: `format`; `retained_from`, the first seq not pruned (1 until a prune), which tells a prune from rows
 *   that went missing; `last_seq` and `last_batch`, the tail as of the last commit, written in the same
 *   transaction as the rows, which makes the loss of the newest entry or record visible and lets a writer
 *   notice that another process has appended.
 *
 * Rows are appended in seq / index order, so every insert lands at the right edge of its B-tree.
 */
import type Database from 'better-sqlite3';
import { ServiceLogError } from './service-log-errors.ts';

export const LOG_FORMAT = 1;

export const SCHEMA_SQL = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, data BLOB NOT NULL, hash BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS batches (
    idx INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL UNIQUE,
    record BLOB NOT NULL,
    hash BLOB NOT NULL
  );
`;

export type LogTable = 'meta' | 'entries' | 'batches';

export interface LogMeta {
  readonly format: number;
  readonly retainedFrom: number;
  readonly lastSeq: number;
  readonly lastBatch: number;
}

export const META_KEYS = {
  format: 'format',
  retainedFrom: 'retained_from',
  lastSeq: 'last_seq',
  lastBatch: 'last_batch',
} as const;

const NEW_LOG: LogMeta = { format: LOG_FORMAT, retainedFrom: 1, lastSeq: 0, lastBatch: 0 };

/**
 * Reads the meta rows; a value that is missing or not a safe integer (≥ 1 for format and retained_from, ≥ 0
 * otherwise) is reported through `bad` and left out.
 */
export function readMeta(db: Database.Database, bad: (key: string, value: unknown) => void): Partial<LogMeta> {
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: unknown; value: unknown }[];
  const values = new Map<unknown, unknown>(rows.map((row) => [row.key, row.value]));
  const meta: Partial<Record<keyof LogMeta, number>> = {};
  for (const [field, key] of Object.entries(META_KEYS) as [keyof LogMeta, string][]) {
    const value = values.get(key);
    const min = field === 'format' || field === 'retainedFrom' ? 1 : 0;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) meta[field] = value;
    else bad(key, value);
  }
  return meta;
}

/** Creates the tables of a new log, or checks an existing one's meta, and returns the meta values. */
export function ensureSchema(db: Database.Database): LogMeta {
  return db
    .transaction((): LogMeta => {
      db.exec(SCHEMA_SQL);
      // Only a new log gets default meta: re-creating a missing row would hide its deletion.
      const { rows } = db.prepare('SELECT count(*) AS rows FROM meta').get() as { rows: number };
      if (rows === 0) {
        const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        for (const [field, key] of Object.entries(META_KEYS) as [keyof LogMeta, string][])
          insert.run(key, NEW_LOG[field]);
      }
      const meta = readMeta(db, (key, value) => {
        throw new ServiceLogError('CORRUPT', `service log: meta ${key} is ${String(value)}`);
      }) as LogMeta;
      if (meta.format !== LOG_FORMAT) {
        throw new ServiceLogError('CORRUPT', `service log: unknown format ${meta.format}`);
      }
      return meta;
    })
    .immediate();
}
