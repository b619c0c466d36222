/**
 * `npm run bench -- store` (shared/BENCH.md): our authenticated store against a plain better-sqlite3 table and
 * LevelDB on the same random 32-byte keys with 100-byte values, in one run: durable batched put (1,000 per
 * batch, one sync per batch on every side), point get, range scan; for ours also proof generation and
 * verification, write amplification and bytes on disk per live key with and without old versions.
 *
 * AME_BENCH_STORE_KEYS sets the key count (default 1,000,000). Files go to a temporary folder on disk.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeProof, openStore, verifyProof, type Store } from '../../node/store/index.ts';
import { ioCounters } from './io.ts';
import { levelDb, sqliteTable, type KvUnderTest } from './store-baselines.ts';
import { ratio, type Bench } from './harness.ts';

const N = Number(process.env['AME_BENCH_STORE_KEYS'] ?? 1_000_000);
const BATCH = 1000;
const GETS = Math.min(N, 100_000);
const SCAN = Math.min(N, 100_000);
const PROOFS = Math.min(N, 20_000);
const VALUE = 100;

function keysAndValues(): { keys: Buffer[]; values: Buffer[] } {
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    keys.push(createHash('sha256').update(`key ${i}`).digest());
    const v = Buffer.alloc(VALUE);
    createHash('sha512').update(`value ${i}`).digest().copy(v);
    v.writeUInt32BE(i, VALUE - 4);
    values.push(v);
  }
  return { keys, values };
}

/** Random sample of indices, reproducible. */
function sample(count: number, seed: number): number[] {
  let x = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.push(x % N);
  }
  return out;
}

function dirBytes(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const st = statSync(join(path, name));
    total += st.isDirectory() ? dirBytes(join(path, name)) : st.size;
  }
  return total;
}

/** Bytes of SQLite pages in use (file size less free pages), after a checkpoint folded the WAL in. */
function sqliteUsedBytes(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const page = Number(db.pragma('page_size', { simple: true }));
    return (Number(db.pragma('page_count', { simple: true })) - Number(db.pragma('freelist_count', { simple: true }))) * page;
  } finally {
    db.close();
  }
}

interface Timed {
  putPerS: number;
  getPerS: number;
  scanPerS: number;
  writeBytes: number;
}

async function measure(kv: KvUnderTest, keys: Buffer[], values: Buffer[], after?: () => void): Promise<Timed> {
  const io0 = ioCounters();
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) await kv.putBatch(keys.slice(i, i + BATCH), values.slice(i, i + BATCH));
  after?.();
  const putPerS = (N * 1000) / (performance.now() - t);
  const writeBytes = ioCounters().writeBytes - io0.writeBytes;

  const order = sample(GETS, 7);
  t = performance.now();
  for (const i of order) {
    const got = await kv.get(keys[i]!);
    if (got === undefined || got.length !== VALUE) throw new Error(`${kv.name}: key ${i} lost`);
  }
  const getPerS = (GETS * 1000) / (performance.now() - t);

  t = performance.now();
  const n = await kv.scan(keys[order[0]!]!.subarray(0, 2), SCAN);
  const scanPerS = (n * 1000) / (performance.now() - t);
  return { putPerS, getPerS, scanPerS, writeBytes };
}

function ours(store: Store): KvUnderTest {
  return {
    name: 'ours',
    putBatch: (keys, values) => {
      store.commit(keys.map((key, i) => ({ key, baseVersion: 0, value: values[i]! })));
    },
    get: (key) => store.get(key),
    scan: (from, count) => {
      let n = 0;
      for (const _pair of store.scan(from)) if (++n >= count) break;
      return n;
    },
    close: () => store.close(),
  };
}

export const bench: Bench = {
  name: 'store',
  async run() {
    const root = mkdtempSync(join(tmpdir(), 'ame-bench-store-'));
    try {
      process.stdout.write(`generating ${N.toLocaleString('en-US')} keys…\n`);
      const { keys, values } = keysAndValues();
      const userBytes = N * (32 + VALUE);

      process.stdout.write('our store…\n');
      const oursFile = join(root, 'ours.sqlite');
      const store = openStore(oursFile, { durability: 'full' });
      const a = await measure(ours(store), keys, values, () => store.flush());

      const picks = sample(PROOFS, 11);
      let t = performance.now();
      const proofs = picks.map((i) => store.prove(keys[i]!));
      const proveMs = performance.now() - t;
      const rootHash = store.root();
      t = performance.now();
      for (let j = 0; j < picks.length; j++) {
        const r = verifyProof(rootHash, keys[picks[j]!]!, proofs[j]!);
        if (!r.found) throw new Error('proof of a present key says absent');
      }
      const verifyMs = performance.now() - t;
      const head = store.head();
      store.close();
      const allVersionsBytes = sqliteUsedBytes(oursFile);
      const gcStore = openStore(oursFile, { durability: 'full' });
      gcStore.gc(head);
      gcStore.close();
      const latestBytes = sqliteUsedBytes(oursFile);

      process.stdout.write('sqlite table…\n');
      const tableFile = join(root, 'table.sqlite');
      const b = await measure(sqliteTable(tableFile), keys, values);
      const tableBytes = sqliteUsedBytes(tableFile);

      process.stdout.write('LevelDB…\n');
      const ldb = await levelDb(join(root, 'leveldb'));
      const c = await measure(ldb, keys, values);
      await ldb.close();
      const levelBytes = dirBytes(join(root, 'leveldb'));

      const figures = {
        keys: N,
        batch_put_per_s: a.putPerS,
        get_per_s: a.getPerS,
        scan_per_s: a.scanPerS,
        proof_generate_per_s: (PROOFS * 1000) / proveMs,
        proof_verify_per_s: (PROOFS * 1000) / verifyMs,
        proof_bytes_mean: proofs.reduce((n, p) => n + encodeProof(p).length, 0) / proofs.length,
        write_amplification: a.writeBytes / userBytes,
        bytes_per_live_key: latestBytes / N,
        bytes_per_live_key_all_versions: allVersionsBytes / N,
        sqlite_table_batch_put_per_s: b.putPerS,
        sqlite_table_get_per_s: b.getPerS,
        sqlite_table_scan_per_s: b.scanPerS,
        sqlite_table_write_amplification: b.writeBytes / userBytes,
        sqlite_table_bytes_per_key: tableBytes / N,
        leveldb_batch_put_per_s: c.putPerS,
        leveldb_get_per_s: c.getPerS,
        leveldb_scan_per_s: c.scanPerS,
        leveldb_write_amplification: c.writeBytes / userBytes,
        leveldb_bytes_per_key: levelBytes / N,
      };
      return {
        figures,
        ratios: {
          get_vs_leveldb: ratio(a.getPerS, c.getPerS),
          get_vs_sqlite_table: ratio(a.getPerS, b.getPerS),
          batch_put_vs_leveldb: ratio(a.putPerS, c.putPerS),
          batch_put_vs_sqlite_table: ratio(a.putPerS, b.putPerS),
          scan_vs_leveldb: ratio(a.scanPerS, c.scanPerS),
          scan_vs_sqlite_table: ratio(a.scanPerS, b.scanPerS),
        },
        targets: {
          get_vs_leveldb: '≥ 1',
          get_vs_sqlite_table: 'report',
          batch_put_vs_sqlite_table: '≥ 1',
          batch_put_vs_leveldb: '≥ 0.1',
          proof_verify_per_s: '≥ 20,000',
        },
      };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
