/**
 * Blob rows in SQLite (better-sqlite3): one table of manifests, one of chunks. WAL with synchronous FULL, so a
 * write is on disk when its transaction returns: a store that acknowledged a blob to a client or a sibling still
 * has it after a power cut. Chunks are rows of up to MAX_CHUNK_SIZE bytes in a rowid table (overflow pages);
 * only the small (address, idx) key lives in the primary-key index.
 */
import Database from 'better-sqlite3';
import { BlobError } from './errors.ts';
import type { BlobBackend } from './backend.ts';
import { LocalBlobStore, type LocalBlobStoreOptions } from './local-store.ts';

/** Stored in SQLite's user_version; bumped when the layout changes. */
export const SQLITE_FORMAT_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blob (address BLOB NOT NULL PRIMARY KEY, size INTEGER NOT NULL, manifest BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chunk (
  address BLOB NOT NULL,
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (address, idx)
);
`;

/** better-sqlite3 binds Buffers; this is a view, not a copy. */
function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain copy, so callers never hold a Buffer that may share memory with something else. */
function bytes(value: Buffer): Uint8Array {
  return new Uint8Array(value);
}

function statements(db: Database.Database) {
  return {
    readManifest: db.prepare<[Buffer], { manifest: Buffer }>('SELECT manifest FROM blob WHERE address = ?'),
    writeManifest: db.prepare<[Buffer, number, Buffer]>(
      'INSERT OR REPLACE INTO blob (address, size, manifest) VALUES (?, ?, ?)',
    ),
    readChunk: db.prepare<[Buffer, number], { data: Buffer }>('SELECT data FROM chunk WHERE address = ? AND idx = ?'),
    writeChunk: db.prepare<[Buffer, number, Buffer]>('INSERT OR REPLACE INTO chunk (address, idx, data) VALUES (?, ?, ?)'),
    chunkIndices: db.prepare<[Buffer], { idx: number }>('SELECT idx FROM chunk WHERE address = ? ORDER BY idx'),
    size: db.prepare<[Buffer], { size: number }>('SELECT size FROM blob WHERE address = ?'),
    deleteManifest: db.prepare<[Buffer]>('DELETE FROM blob WHERE address = ?'),
    deleteChunks: db.prepare<[Buffer]>('DELETE FROM chunk WHERE address = ?'),
    listFirst: db.prepare<[number], { address: Buffer }>('SELECT address FROM blob ORDER BY address LIMIT ?'),
    listAfter: db.prepare<[Buffer, number], { address: Buffer }>(
      'SELECT address FROM blob WHERE address > ? ORDER BY address LIMIT ?',
    ),
    totals: db.prepare<[], { bytes: number | null; blobs: number }>(
      'SELECT SUM(size) AS bytes, COUNT(*) AS blobs FROM blob',
    ),
  };
}

export class SqliteBlobBackend implements BlobBackend {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #stmts: ReturnType<typeof statements>;
  readonly #transaction: Database.Transaction<(fn: () => void) => void>;

  constructor(path: string) {
    this.path = path;
    this.#db = new Database(path);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      const format = Number(this.#db.pragma('user_version', { simple: true }));
      if (format !== 0 && format !== SQLITE_FORMAT_VERSION) {
        throw new BlobError('CORRUPT', `${path}: blob store format ${format} is not ${SQLITE_FORMAT_VERSION}`);
      }
      this.#db.exec(SCHEMA);
      if (format === 0) this.#db.pragma(`user_version = ${SQLITE_FORMAT_VERSION}`);
      this.#stmts = statements(this.#db);
      this.#transaction = this.#db.transaction((fn: () => void) => fn());
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** The settings durability rests on, as the live connection reports them. */
  durability(): { readonly journalMode: string; readonly synchronous: number } {
    return {
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.#db.pragma('synchronous', { simple: true })),
    };
  }

  readManifest(address: Uint8Array): Uint8Array | undefined {
    const row = this.#stmts.readManifest.get(buf(address));
    return row === undefined ? undefined : bytes(row.manifest);
  }

  writeManifest(address: Uint8Array, encoded: Uint8Array, size: number): void {
    this.#stmts.writeManifest.run(buf(address), size, buf(encoded));
  }

  readChunk(address: Uint8Array, index: number): Uint8Array | undefined {
    const row = this.#stmts.readChunk.get(buf(address), index);
    return row === undefined ? undefined : bytes(row.data);
  }

  writeChunk(address: Uint8Array, index: number, data: Uint8Array): void {
    this.#stmts.writeChunk.run(buf(address), index, buf(data));
  }

  chunkIndices(address: Uint8Array): number[] {
    return this.#stmts.chunkIndices.all(buf(address)).map((row) => row.idx);
  }

  deleteBlob(address: Uint8Array): number | undefined {
    const row = this.#stmts.size.get(buf(address));
    this.#stmts.deleteChunks.run(buf(address));
    this.#stmts.deleteManifest.run(buf(address));
    return row?.size;
  }

  deleteChunks(address: Uint8Array): void {
    this.#stmts.deleteChunks.run(buf(address));
  }

  list(after: Uint8Array | undefined, limit: number): Uint8Array[] {
    const rows = after === undefined ? this.#stmts.listFirst.all(limit) : this.#stmts.listAfter.all(buf(after), limit);
    return rows.map((row) => bytes(row.address));
  }

  totals(): { readonly bytes: number; readonly blobs: number } {
    const row = this.#stmts.totals.get();
    return { bytes: row?.bytes ?? 0, blobs: row?.blobs ?? 0 };
  }

  atomically(fn: () => void): void {
    this.#transaction.immediate(fn);
  }

  /** One outer transaction: the atomically() calls inside become savepoints, and the group syncs once. */
  group(fn: () => void): void {
    this.#transaction.immediate(fn);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** A durable blob store in the SQLite file at `path` (created when absent). */
export function openSqliteBlobStore(path: string, options: LocalBlobStoreOptions = {}): LocalBlobStore {
  const backend = new SqliteBlobBackend(path);
  try {
    return new LocalBlobStore(backend, options);
  } catch (error) {
    backend.close();
    throw error;
  }
}
