/**
 * The prekey directory in one SQLite file (WAL, synchronous FULL; the path is injected and may be the mailbox's):
 *
 *   prekey_owner(address → identity, signed prekey, next one-time id)
 *   prekey_one_time(address, id → prekey)
 *
 * A take reads the lowest one-time prekey and deletes it in one IMMEDIATE transaction and checks that its delete
 * removed the row, so even two processes on one file never hand out the same key.
 */
import type Database from 'better-sqlite3';
import { ServiceError } from '../errors.ts';
import {
  bundleOf,
  checkAddress,
  checkMaxOneTime,
  checkUpload,
  DEFAULT_MAX_ONE_TIME,
  decodeIdentity,
  decodePrekey,
  encodeIdentity,
  encodePrekey,
  type HeldHead,
  planPublish,
  type PrekeyDirectory,
  type PublishResult,
} from './directory.ts';
import { openDatabase } from './sqlite-file.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS prekey_owner (
    address BLOB PRIMARY KEY,
    identity BLOB NOT NULL,
    signed BLOB NOT NULL,
    next_one_time INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS prekey_one_time (
    address BLOB NOT NULL,
    id INTEGER NOT NULL,
    prekey BLOB NOT NULL,
    PRIMARY KEY (address, id)
  ) WITHOUT ROWID;
`;

export interface SqliteDirectoryOptions {
  readonly path: string;
  readonly maxOneTime?: number;
}

interface OwnerRow {
  identity: Buffer;
  signed: Buffer;
  next_one_time: number;
}

export class SqlitePrekeyDirectory implements PrekeyDirectory {
  readonly maxOneTime: number;
  readonly #db: Database.Database;
  readonly #sql;
  #closed = false;

  private constructor(db: Database.Database, maxOneTime: number) {
    this.#db = db;
    this.maxOneTime = maxOneTime;
    this.#sql = {
      owner: db.prepare<[Buffer], OwnerRow>('SELECT identity, signed, next_one_time FROM prekey_owner WHERE address = ?'),
      putOwner: db.prepare<[Buffer, Buffer, Buffer, number]>(
        'INSERT OR REPLACE INTO prekey_owner (address, identity, signed, next_one_time) VALUES (?, ?, ?, ?)',
      ),
      count: db.prepare<[Buffer], { n: number }>('SELECT count(*) AS n FROM prekey_one_time WHERE address = ?'),
      insert: db.prepare<[Buffer, number, Buffer]>('INSERT INTO prekey_one_time (address, id, prekey) VALUES (?, ?, ?)'),
      first: db.prepare<[Buffer], { id: number; prekey: Buffer }>(
        'SELECT id, prekey FROM prekey_one_time WHERE address = ? ORDER BY id LIMIT 1',
      ),
      remove: db.prepare<[Buffer, number]>('DELETE FROM prekey_one_time WHERE address = ? AND id = ?'),
    };
  }

  static open(options: SqliteDirectoryOptions): SqlitePrekeyDirectory {
    const maxOneTime = checkMaxOneTime(options.maxOneTime ?? DEFAULT_MAX_ONE_TIME);
    return new SqlitePrekeyDirectory(openDatabase(options.path, 'prekeys', SCHEMA), maxOneTime);
  }

  publish(bytes: Uint8Array): PublishResult {
    this.#check();
    const { address, upload } = checkUpload(bytes);
    const key = Buffer.from(address);
    const run = this.#db.transaction(() => {
      const count = this.#sql.count.get(key)?.n ?? 0;
      const head = planPublish(this.#head(key), count, upload, this.maxOneTime);
      const identity = Buffer.from(encodeIdentity(head.identity));
      this.#sql.putOwner.run(key, identity, Buffer.from(encodePrekey(head.signedPrekey)), head.nextOneTimeId);
      for (const prekey of upload.oneTimePrekeys) this.#sql.insert.run(key, prekey.id, Buffer.from(encodePrekey(prekey)));
      return count + upload.oneTimePrekeys.length;
    });
    return { address, oneTimeCount: run.immediate() };
  }

  take(address: Uint8Array): Uint8Array {
    this.#check();
    checkAddress(address);
    const key = Buffer.from(address);
    const run = this.#db.transaction(() => {
      const head = this.#head(key);
      if (head === undefined) throw new ServiceError('NOT_FOUND', 'no prekeys are published for this address');
      const row = this.#sql.first.get(key);
      if (row === undefined) return bundleOf(head, undefined);
      if (this.#sql.remove.run(key, row.id).changes !== 1) {
        throw new ServiceError('NOT_FOUND', `one-time prekey ${row.id} vanished while being taken`);
      }
      return bundleOf(head, decodePrekey(new Uint8Array(row.prekey)));
    });
    return run.immediate();
  }

  oneTimeCount(address: Uint8Array): number {
    this.#check();
    checkAddress(address);
    return this.#sql.count.get(Buffer.from(address))?.n ?? 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #head(key: Buffer): HeldHead | undefined {
    const row = this.#sql.owner.get(key);
    if (row === undefined) return undefined;
    return {
      identity: decodeIdentity(new Uint8Array(row.identity)),
      signedPrekey: decodePrekey(new Uint8Array(row.signed)),
      nextOneTimeId: row.next_one_time,
    };
  }

  #check(): void {
    if (this.#closed) throw new ServiceError('CLOSED', 'prekey directory is closed');
  }
}
