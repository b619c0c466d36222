/**
 * The Mailbox in one SQLite file (WAL, synchronous FULL: a deposit that returned survives a crash). The file path
 * is injected; a relay may share the file with its prekey directory (distinct tables).
 *
 *   mail(seq AUTOINCREMENT, account, envelope)   AUTOINCREMENT so a deleted seq is never handed out again
 *   mail_usage(account → messages, bytes)        kept in the same transactions, so a bound check is one row read
 *
 * Deposits run in IMMEDIATE transactions: two processes on one file cannot both pass the bound check.
 */
import type Database from 'better-sqlite3';
import { ServiceError } from '../errors.ts';
import {
  checkAccount,
  checkDeposit,
  checkSeqs,
  listArgs,
  type MailItem,
  type Mailbox,
  type MailboxLimits,
  mailboxLimits,
  type MailboxUsage,
} from './mailbox.ts';
import { openDatabase } from './sqlite-file.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS mail (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account BLOB NOT NULL,
    envelope BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS mail_by_account ON mail (account, seq);
  CREATE TABLE IF NOT EXISTS mail_usage (
    account BLOB PRIMARY KEY,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

export interface SqliteMailboxOptions {
  readonly path: string;
  readonly limits?: Partial<MailboxLimits>;
}

interface UsageRow {
  messages: number;
  bytes: number;
}

export class SqliteMailbox implements Mailbox {
  readonly limits: MailboxLimits;
  readonly #db: Database.Database;
  readonly #sql;
  #closed = false;

  private constructor(db: Database.Database, limits: MailboxLimits) {
    this.#db = db;
    this.limits = limits;
    this.#sql = {
      usage: db.prepare<[Buffer], UsageRow>('SELECT messages, bytes FROM mail_usage WHERE account = ?'),
      insert: db.prepare<[Buffer, Buffer]>('INSERT INTO mail (account, envelope) VALUES (?, ?)'),
      addUsage: db.prepare<[Buffer, number]>(
        `INSERT INTO mail_usage (account, messages, bytes) VALUES (?, 1, ?)
         ON CONFLICT (account) DO UPDATE SET messages = messages + 1, bytes = bytes + excluded.bytes`,
      ),
      list: db.prepare<[Buffer, number, number], { seq: number; envelope: Buffer }>(
        'SELECT seq, envelope FROM mail WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      remove: db.prepare<[number, Buffer], { size: number }>(
        'DELETE FROM mail WHERE seq = ? AND account = ? RETURNING length(envelope) AS size',
      ),
      subUsage: db.prepare<[number, number, Buffer]>(
        'UPDATE mail_usage SET messages = messages - ?, bytes = bytes - ? WHERE account = ?',
      ),
      dropEmpty: db.prepare<[Buffer]>('DELETE FROM mail_usage WHERE account = ? AND messages <= 0'),
    };
  }

  /** Opens (or creates) the file at `options.path`. MALFORMED when it holds another format. */
  static open(options: SqliteMailboxOptions): SqliteMailbox {
    const limits = mailboxLimits(options.limits);
    return new SqliteMailbox(openDatabase(options.path, 'mailbox', SCHEMA), limits);
  }

  deposit(account: Uint8Array, envelope: Uint8Array): number {
    this.#check();
    checkAccount(account);
    const key = Buffer.from(account);
    const run = this.#db.transaction(() => {
      const held = this.#sql.usage.get(key) ?? { messages: 0, bytes: 0 };
      checkDeposit(envelope, held, this.limits);
      const { lastInsertRowid } = this.#sql.insert.run(key, Buffer.from(envelope));
      this.#sql.addUsage.run(key, envelope.length);
      return Number(lastInsertRowid);
    });
    return run.immediate();
  }

  list(account: Uint8Array, after?: number, limit?: number): MailItem[] {
    this.#check();
    checkAccount(account);
    const args = listArgs(after, limit);
    return this.#sql.list
      .all(Buffer.from(account), args.after, args.limit)
      .map((row) => ({ seq: row.seq, envelope: new Uint8Array(row.envelope) }));
  }

  ack(account: Uint8Array, seqs: readonly number[]): number {
    this.#check();
    checkAccount(account);
    checkSeqs(seqs);
    const key = Buffer.from(account);
    const run = this.#db.transaction(() => {
      let count = 0;
      let bytes = 0;
      for (const seq of new Set(seqs)) {
        const row = this.#sql.remove.get(seq, key);
        if (row === undefined) continue;
        count += 1;
        bytes += row.size;
      }
      if (count > 0) {
        this.#sql.subUsage.run(count, bytes, key);
        this.#sql.dropEmpty.run(key);
      }
      return count;
    });
    return run.immediate();
  }

  usage(account: Uint8Array): MailboxUsage {
    this.#check();
    checkAccount(account);
    const row = this.#sql.usage.get(Buffer.from(account));
    return { messages: row?.messages ?? 0, bytes: row?.bytes ?? 0 };
  }

  group(fn: () => void): void {
    this.#check();
    // The deposits' and acks' own transactions become savepoints of this one: a group syncs once.
    this.#db.transaction(fn).immediate();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #check(): void {
    if (this.#closed) throw new ServiceError('CLOSED', 'mailbox is closed');
  }
}
