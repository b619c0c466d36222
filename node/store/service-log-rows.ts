/**
 * The engine's access to its rows (layout in service-log-schema.ts): prepared statements, and reads that decode
 * what they find. The engine wrote every row itself, so a row that is missing or does not decode is corruption
 * (CORRUPT), never a caller's bad input; verify() reports the full picture.
 */
import type Database from 'better-sqlite3';
import { type BatchRecord, decodeBatchRecord } from './service-log-batch.ts';
import { decodeEntry, type ServiceLogEntry } from './service-log-entry.ts';
import { ServiceLogError } from './service-log-errors.ts';

export interface EntryRow {
  seq: number;
  data: Uint8Array;
  hash: Uint8Array;
}

export function corrupt(message: string, cause?: unknown): ServiceLogError {
  return new ServiceLogError('CORRUPT', `service log: ${message}`, cause === undefined ? undefined : { cause });
}

export function decodeStoredRecord(bytes: unknown, what: string): BatchRecord {
  try {
    return decodeBatchRecord(bytes as Uint8Array);
  } catch (error) {
    throw corrupt(`${what} does not decode`, error);
  }
}

export function decodeStoredEntry(bytes: unknown, seq: number): ServiceLogEntry {
  let entry: ServiceLogEntry;
  try {
    entry = decodeEntry(bytes as Uint8Array);
  } catch (error) {
    throw corrupt(`entry ${seq} does not decode`, error);
  }
  if (entry.seq !== seq) throw corrupt(`row ${seq} holds entry ${entry.seq}`);
  return entry;
}

export function logStatements(db: Database.Database) {
  return {
    insertEntry: db.prepare<[number, Uint8Array, Uint8Array]>('INSERT INTO entries (seq, data, hash) VALUES (?, ?, ?)'),
    insertBatch: db.prepare<[number, number, Uint8Array, Uint8Array]>(
      'INSERT INTO batches (idx, last_seq, record, hash) VALUES (?, ?, ?, ?)',
    ),
    tailMeta: db.prepare<[], { seq: unknown; idx: unknown }>(
      "SELECT (SELECT value FROM meta WHERE key = 'last_seq') AS seq, " +
        "(SELECT value FROM meta WHERE key = 'last_batch') AS idx",
    ),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE key = ?'),
    entry: db.prepare<[number], EntryRow>('SELECT seq, data, hash FROM entries WHERE seq = ?'),
    entriesFrom: db.prepare<[number], EntryRow>('SELECT seq, data, hash FROM entries WHERE seq >= ? ORDER BY seq'),
    hashes: db
      .prepare<[number, number], Uint8Array>('SELECT hash FROM entries WHERE seq BETWEEN ? AND ? ORDER BY seq')
      .pluck(),
    batch: db.prepare<[number], { record: Uint8Array; hash: Uint8Array }>(
      'SELECT record, hash FROM batches WHERE idx = ?',
    ),
    lastBatch: db.prepare<[], { idx: number; record: Uint8Array; hash: Uint8Array }>(
      'SELECT idx, record, hash FROM batches ORDER BY idx DESC LIMIT 1',
    ),
    batchOfSeq: db
      .prepare<[number], Uint8Array>('SELECT record FROM batches WHERE last_seq >= ? ORDER BY last_seq LIMIT 1')
      .pluck(),
    batchesFrom: db
      .prepare<[number], Uint8Array>('SELECT record FROM batches WHERE last_seq >= ? ORDER BY idx')
      .pluck(),
    deleteBefore: db.prepare<[number]>('DELETE FROM entries WHERE seq < ?'),
  };
}

export type LogStatements = ReturnType<typeof logStatements>;

/** The row of an entry the caller knows is retained. */
export function storedEntryRow(sql: LogStatements, seq: number): EntryRow {
  const row = sql.entry.get(seq);
  if (row === undefined) throw corrupt(`entry ${seq} is missing`);
  return row;
}

/** The record of a batch the caller knows was sealed. */
export function storedBatch(sql: LogStatements, index: number): BatchRecord {
  const row = sql.batch.get(index);
  if (row === undefined) throw corrupt(`batch ${index} is missing`);
  return decodeStoredRecord(row.record, `batch ${index}`);
}
