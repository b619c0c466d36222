/**
 * The device's telemetry file (SQLite): the outbox of messages not yet acknowledged by a broker, and the last
 * accepted command sequence numbers. WAL with synchronous=FULL makes a queued message durable when publish*
 * returns, so nothing queued is lost to a crash or power cut; a message leaves the outbox only after the broker
 * acknowledged it (QoS 1), so delivery is at least once and in queue order.
 *
 * Ids come from AUTOINCREMENT, which never reuses an id even after the rows are gone: they are the `msgId` the
 * fleet deduplicates by.
 */
import Database from 'better-sqlite3';
import { FleetProtoError, type CommandStream, type SequenceStore } from '../../node/fleetproto/index.ts';
import { TelemetryError } from './errors.ts';

export const TELEMETRY_STORE_FORMAT = 1;

/** What a message is, for choosing what to drop first when the outbox is full. */
export type OutboxKind = 'state' | 'telemetry' | 'events' | 'cmd/result';

export interface OutboxRow {
  readonly id: number;
  readonly kind: OutboxKind;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly retain: boolean;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS outbox_kind ON outbox (kind, id);
  CREATE TABLE IF NOT EXISTS sequences (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`;

interface RawRow {
  id: number;
  kind: OutboxKind;
  topic: string;
  payload: Buffer;
  retain: number;
}

export class TelemetryStore implements SequenceStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, string, Buffer, number]>;
  readonly #setPayload: Database.Statement<[Buffer, number]>;
  readonly #peek: Database.Statement<[number], RawRow>;
  readonly #remove: Database.Statement<[number]>;
  readonly #oldestOfKind: Database.Statement<[string, number], { id: number }>;
  readonly #oldestOther: Database.Statement<[number, number], { id: number }>;
  readonly #getSeq: Database.Statement<[string], { seq: number }>;
  readonly #putSeq: Database.Statement<[string, number]>;
  #size: number;
  #closed = false;

  constructor(path: string) {
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (cause) {
      throw new TelemetryError('BAD_STORE', `cannot open ${path}: ${(cause as Error).message}`, { cause });
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const format = Number(db.pragma('user_version', { simple: true }));
      if (format !== 0 && format !== TELEMETRY_STORE_FORMAT) {
        const why = `${path} has format ${format}, this build reads ${TELEMETRY_STORE_FORMAT}`;
        throw new TelemetryError('BAD_STORE', why);
      }
      db.transaction(() => {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${TELEMETRY_STORE_FORMAT}`);
      })();
      this.#insert = db.prepare('INSERT INTO outbox (kind, topic, payload, retain) VALUES (?, ?, ?, ?)');
      this.#setPayload = db.prepare('UPDATE outbox SET payload = ? WHERE id = ?');
      this.#peek = db.prepare('SELECT id, kind, topic, payload, retain FROM outbox ORDER BY id LIMIT ?');
      this.#remove = db.prepare('DELETE FROM outbox WHERE id = ?');
      this.#oldestOfKind = db.prepare('SELECT id FROM outbox WHERE kind = ? ORDER BY id LIMIT ?');
      this.#oldestOther = db.prepare("SELECT id FROM outbox WHERE kind != 'telemetry' AND id != ? ORDER BY id LIMIT ?");
      this.#getSeq = db.prepare('SELECT seq FROM sequences WHERE stream = ?');
      this.#putSeq = db.prepare(
        'INSERT INTO sequences (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq',
      );
      this.#size = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    } catch (cause) {
      db.close();
      if (cause instanceof TelemetryError) throw cause;
      throw new TelemetryError('BAD_STORE', `${path}: ${(cause as Error).message}`, { cause });
    }
    this.#db = db;
  }

  /** Messages waiting for a broker's acknowledgement. */
  get size(): number {
    return this.#size;
  }

  /**
   * Queues one message, durably; `build` makes its payload from the id it gets. Returns the id. When the outbox
   * then holds more than `limit` messages, the oldest telemetry goes first, then the oldest of any kind; the
   * number dropped is returned as well.
   */
  enqueue(
    kind: OutboxKind,
    topic: string,
    retain: boolean,
    build: (id: number) => Uint8Array,
    limit: number,
  ): { id: number; dropped: number } {
    return this.#guarded('queue a message', () =>
      this.#db.transaction(() => {
        const id = Number(this.#insert.run(kind, topic, Buffer.alloc(0), retain ? 1 : 0).lastInsertRowid);
        this.#setPayload.run(Buffer.from(build(id)), id);
        this.#size++;
        let dropped = 0;
        const excess = this.#size - limit;
        if (excess > 0) {
          const victims = this.#oldestOfKind.all('telemetry', excess);
          if (victims.length < excess) victims.push(...this.#oldestOther.all(id, excess - victims.length));
          for (const victim of victims) dropped += this.#remove.run(victim.id).changes;
          this.#size -= dropped;
        }
        return { id, dropped };
      })(),
    );
  }

  /** The oldest `limit` messages, in queue order. */
  peek(limit: number): OutboxRow[] {
    return this.#guarded('read the outbox', () =>
      this.#peek.all(limit).map((r) => ({
        id: r.id,
        kind: r.kind,
        topic: r.topic,
        payload: new Uint8Array(r.payload),
        retain: r.retain === 1,
      })),
    );
  }

  /** Removes an acknowledged message; a second removal of the same id is a no-op. */
  remove(id: number): void {
    this.#guarded('remove a message', () => {
      this.#size -= this.#remove.run(id).changes;
    });
  }

  last(stream: CommandStream): number | undefined {
    return this.#guarded('read a sequence number', () => this.#getSeq.get(stream)?.seq);
  }

  save(stream: CommandStream, seq: number): void {
    this.#guarded('store a sequence number', () => this.#putSeq.run(stream, seq));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #guarded<T>(what: string, fn: () => T): T {
    if (this.#closed) throw new TelemetryError('CLOSED', `${what}: the telemetry store is closed`);
    try {
      return fn();
    } catch (cause) {
      // A payload that cannot be encoded is the caller's error, not the store's.
      if (cause instanceof TelemetryError || cause instanceof FleetProtoError) throw cause;
      throw new TelemetryError('STORE_FAILED', `${what}: ${(cause as Error).message}`, { cause });
    }
  }
}
