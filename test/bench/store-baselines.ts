/**
 * The two baselines of `npm run bench -- store` (shared/BENCH.md): a plain better-sqlite3 table keyed by the
 * random key (WAL, synchronous FULL, one transaction per batch) and LevelDB (classic-level, `sync: true` per
 * batch), fed the same keys and values as our store.
 */
import Database from 'better-sqlite3';
import { ClassicLevel } from 'classic-level';

export interface KvUnderTest {
  name: string;
  /** One durable batch: returns after it is on disk. */
  putBatch(keys: Uint8Array[], values: Uint8Array[]): Promise<void> | void;
  get(key: Uint8Array): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** Reads `count` pairs in key order from `from`; returns how many it read. */
  scan(from: Uint8Array, count: number): Promise<number> | number;
  close(): Promise<void> | void;
}

export function sqliteTable(path: string): KvUnderTest {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID');
  const put = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
  const get = db.prepare<[Uint8Array], { v: Buffer }>('SELECT v FROM kv WHERE k = ?');
  const scan = db.prepare<[Uint8Array, number], { k: Buffer; v: Buffer }>('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?');
  const batch = db.transaction((keys: Uint8Array[], values: Uint8Array[]) => {
    for (let i = 0; i < keys.length; i++) put.run(keys[i], values[i]);
  });
  return {
    name: 'sqlite table',
    putBatch: (keys, values) => batch(keys, values),
    get: (key) => get.get(key)?.v,
    scan: (from, count) => {
      let n = 0;
      for (const _row of scan.iterate(from, count)) n++;
      return n;
    },
    close: () => void db.close(),
  };
}

export async function levelDb(path: string): Promise<KvUnderTest> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  return {
    name: 'LevelDB',
    putBatch: (keys, values) =>
      db.batch(
        keys.map((k, i) => ({ type: 'put' as const, key: k, value: values[i]! })),
        { sync: true },
      ),
    get: (key) => db.get(key),
    scan: async (from, count) => {
      let n = 0;
      for await (const _entry of db.iterator({ gte: from, limit: count })) n++;
      return n;
    },
    close: () => db.close(),
  };
}
