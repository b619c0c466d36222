/**
 * Where a client keeps, per channel, what it has signed: each payee's cumulative amount and the next nonce. A
 * spender records a receipt here before it hands the receipt out, so after a restart it never signs a lower
 * amount (which a payee would refuse, stranding the channel) nor reuses a nonce (a replay in the payee's eyes).
 *
 * `record` is a compare-and-set on the nonce: a second spender writing the same channel (two processes, or a
 * stale object after a restart) gets STATE_CONFLICT instead of silently forking the sequence.
 */
import type Database from 'better-sqlite3';
import { WorkerError } from '../errors.ts';
import { FIRST_NONCE, keyOf } from './amounts.ts';
import { guarded, openPaymentsDb } from './sqlite.ts';

export interface SpenderState {
  readonly nextNonce: bigint;
  /** Cumulative amount signed per payee, keyed by the payee's hex. */
  readonly owed: ReadonlyMap<string, bigint>;
}

export interface SpenderStore {
  load(channel: Uint8Array): SpenderState;
  /** Durably records a receipt to `payee` for `cumulative` under `nonce`, which must be the channel's next nonce. */
  record(channel: Uint8Array, payee: Uint8Array, cumulative: bigint, nonce: bigint): void;
  close(): void;
}

function conflict(stored: bigint, nonce: bigint): WorkerError {
  return new WorkerError('STATE_CONFLICT', `the channel's next nonce is ${stored}, not ${nonce}: another spender wrote it`, {
    field: 'nonce',
  });
}

/** Not durable: for tests and the simulator, where "restart" means a new spender over the same store object. */
export class MemorySpenderStore implements SpenderStore {
  readonly #channels = new Map<string, { nextNonce: bigint; owed: Map<string, bigint> }>();
  #closed = false;

  load(channel: Uint8Array): SpenderState {
    return guarded(this.#closed, 'load', () => {
      const state = this.#channels.get(keyOf(channel));
      return { nextNonce: state?.nextNonce ?? FIRST_NONCE, owed: new Map(state?.owed) };
    });
  }

  record(channel: Uint8Array, payee: Uint8Array, cumulative: bigint, nonce: bigint): void {
    guarded(this.#closed, 'record', () => {
      const key = keyOf(channel);
      const state = this.#channels.get(key) ?? { nextNonce: FIRST_NONCE, owed: new Map<string, bigint>() };
      if (state.nextNonce !== nonce) throw conflict(state.nextNonce, nonce);
      state.owed.set(keyOf(payee), cumulative);
      state.nextNonce = nonce + 1n;
      this.#channels.set(key, state);
    });
  }

  close(): void {
    this.#closed = true;
  }
}

// u64 values are stored as decimal text: SQLite integers are signed 64-bit and would refuse the top half.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS spender_channel (channel BLOB PRIMARY KEY, next_nonce TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spender_owed (
  channel BLOB NOT NULL, payee BLOB NOT NULL, cumulative TEXT NOT NULL, PRIMARY KEY (channel, payee)
) WITHOUT ROWID;
`;

export class SqliteSpenderStore implements SpenderStore {
  readonly #db: Database.Database;
  readonly #record: (channel: Uint8Array, payee: Uint8Array, cumulative: bigint, nonce: bigint) => void;
  #closed = false;

  private constructor(db: Database.Database) {
    this.#db = db;
    const nonceOf = db.prepare('SELECT next_nonce FROM spender_channel WHERE channel = ?');
    const setNonce = db.prepare(
      `INSERT INTO spender_channel (channel, next_nonce) VALUES (?, ?)
       ON CONFLICT (channel) DO UPDATE SET next_nonce = excluded.next_nonce`,
    );
    const setOwed = db.prepare(
      `INSERT INTO spender_owed (channel, payee, cumulative) VALUES (?, ?, ?)
       ON CONFLICT (channel, payee) DO UPDATE SET cumulative = excluded.cumulative`,
    );
    const write = db.transaction((channel: Buffer, payee: Buffer, cumulative: bigint, nonce: bigint) => {
      const row = nonceOf.get(channel) as { next_nonce: string } | undefined;
      const stored = row === undefined ? FIRST_NONCE : BigInt(row.next_nonce);
      if (stored !== nonce) throw conflict(stored, nonce);
      setNonce.run(channel, String(nonce + 1n));
      setOwed.run(channel, payee, String(cumulative));
    });
    // IMMEDIATE takes the write lock before the read, so the compare-and-set holds across processes.
    this.#record = (channel, payee, cumulative, nonce) =>
      write.immediate(Buffer.from(channel), Buffer.from(payee), cumulative, nonce);
  }

  /** Opens (or creates) the file at `path`; ':memory:' for a throwaway store. */
  static open(path: string): SqliteSpenderStore {
    return new SqliteSpenderStore(openPaymentsDb(path, SCHEMA));
  }

  load(channel: Uint8Array): SpenderState {
    return guarded(this.#closed, 'load', () => {
      const id = Buffer.from(channel);
      const row = this.#db.prepare('SELECT next_nonce FROM spender_channel WHERE channel = ?').get(id) as
        | { next_nonce: string }
        | undefined;
      const rows = this.#db.prepare('SELECT payee, cumulative FROM spender_owed WHERE channel = ?').all(id) as {
        payee: Buffer;
        cumulative: string;
      }[];
      return {
        nextNonce: row === undefined ? FIRST_NONCE : BigInt(row.next_nonce),
        owed: new Map(rows.map((r) => [keyOf(r.payee), BigInt(r.cumulative)])),
      };
    });
  }

  record(channel: Uint8Array, payee: Uint8Array, cumulative: bigint, nonce: bigint): void {
    guarded(this.#closed, 'record', () => this.#record(channel, payee, cumulative, nonce));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
