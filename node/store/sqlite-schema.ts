/**
 * The store's SQLite schema, its prepared statements, and the check hashes of the small rows. Tables:
 *   nodes    (id = version × 4097 + group, l = leaves, n = internal nodes; row-codec.ts)
 *   commits  (v, parent, root, ref = root node reference, chain = H(parent chain ‖ v ‖ root), chk over ref)
 *   stale    (v = staleSince, d = the node keys commit v replaced; refs.ts)
 *   branches (id, base, head, chk), state (head, next version, GC horizon, chk)
 */
import type Database from 'better-sqlite3';
import { sha256 } from './hashing.ts';

export interface StateRow {
  head: number;
  next: number;
  horizon: number;
}

export interface BranchRow {
  id: number;
  base: number;
  head: number;
}

export const PAGE_SIZE = 16384;

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS nodes (id INTEGER PRIMARY KEY, l BLOB NOT NULL, n BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS commits (v INTEGER PRIMARY KEY, parent INTEGER NOT NULL, root BLOB NOT NULL, ref BLOB,
    chain BLOB NOT NULL, chk BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS stale (v INTEGER PRIMARY KEY, d BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS branches (id INTEGER PRIMARY KEY, base INTEGER NOT NULL, head INTEGER NOT NULL, chk BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), head INTEGER NOT NULL, next INTEGER NOT NULL,
    horizon INTEGER NOT NULL, chk BLOB NOT NULL);
`;

export function u64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUIntBE(Math.floor(value / 0x1_0000_0000), 0, 4);
  out.writeUInt32BE(value % 0x1_0000_0000, 4);
  return out;
}

/** H(parent chain ‖ version (u64 BE) ‖ root); the chain of version 0 is 32 zero bytes. */
export function chainHash(parentChain: Uint8Array, version: number, root: Uint8Array): Buffer {
  return sha256(Buffer.concat([parentChain, u64(version), root]));
}

/** Small rows (state, branches) carry a hash of their fields so a changed byte is caught like everywhere else. */
export function stateCheck(row: StateRow): Buffer {
  return sha256(Buffer.concat([Buffer.from('ame/store/state\0'), u64(row.head), u64(row.next), u64(row.horizon)]));
}

/** The chain hash covers a commit's version, parent and root; this covers the root reference. */
export function refCheck(version: number, ref: Uint8Array | null): Buffer {
  return sha256(Buffer.concat([Buffer.from('ame/store/ref\0'), u64(version), ref ?? Buffer.alloc(0)])).subarray(0, 8);
}

export function branchCheck(row: BranchRow): Buffer {
  return sha256(Buffer.concat([Buffer.from('ame/store/branch\0'), u64(row.id), u64(row.base), u64(row.head)]));
}

/** Rows per multi-row INSERT: one statement call per 32 rows instead of per row. */
export const INSERT_CHUNK = 32;

export function prepareAll(db: Database.Database) {
  const values = Array.from({ length: INSERT_CHUNK }, () => '(?, ?, ?)').join(', ');
  return {
    // l: the row's leaves, n: its internal nodes (row-codec.ts).
    insertRowChunk: db.prepare<unknown[]>(`INSERT INTO nodes (id, l, n) VALUES ${values}`),
    insertRow: db.prepare<[number, Uint8Array, Uint8Array]>('INSERT INTO nodes (id, l, n) VALUES (?, ?, ?)'),
    getLeaves: db.prepare<[number], Buffer>('SELECT l FROM nodes WHERE id = ?').pluck(),
    getNodes: db.prepare<[number], Buffer>('SELECT n FROM nodes WHERE id = ?').pluck(),
    getRow: db.prepare<[number], { l: Buffer; n: Buffer }>('SELECT l, n FROM nodes WHERE id = ?'),
    updateRow: db.prepare<[Uint8Array, Uint8Array, number]>('UPDATE nodes SET l = ?, n = ? WHERE id = ?'),
    deleteRow: db.prepare<[number]>('DELETE FROM nodes WHERE id = ?'),
    deleteRowsBetween: db.prepare<[number, number]>('DELETE FROM nodes WHERE id >= ? AND id < ?'),
    insertStale: db.prepare<[number, Uint8Array]>('INSERT INTO stale (v, d) VALUES (?, ?)'),
    deleteStale: db.prepare<[number]>('DELETE FROM stale WHERE v = ?'),
    deleteStaleUpTo: db.prepare<[number]>('DELETE FROM stale WHERE v <= ?'),
    staleUpTo: db.prepare<[number], { v: number; d: Buffer }>('SELECT v, d FROM stale WHERE v <= ? ORDER BY v'),
    getCommit: db.prepare<[number], { v: number; parent: number; root: Buffer; ref: Buffer | null; chain: Buffer }>(
      'SELECT v, parent, root, ref, chain FROM commits WHERE v = ?',
    ),
    insertCommit: db.prepare<[number, number, Uint8Array, Uint8Array | null, Uint8Array, Uint8Array]>(
      'INSERT INTO commits (v, parent, root, ref, chain, chk) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteCommit: db.prepare<[number]>('DELETE FROM commits WHERE v = ?'),
    countCommitsBetween: db
      .prepare<[number, number], number>('SELECT count(*) FROM commits WHERE v >= ? AND v < ?')
      .pluck(),
    getState: db.prepare<[], { head: number; next: number; horizon: number; chk: Buffer }>(
      'SELECT head, next, horizon, chk FROM state WHERE id = 1',
    ),
    putState: db.prepare<[number, number, number, Uint8Array]>(
      'INSERT OR REPLACE INTO state (id, head, next, horizon, chk) VALUES (1, ?, ?, ?, ?)',
    ),
    allBranches: db.prepare<[], { id: number; base: number; head: number; chk: Buffer }>(
      'SELECT id, base, head, chk FROM branches ORDER BY id',
    ),
    putBranch: db.prepare<[number, number, number, Uint8Array]>(
      'INSERT OR REPLACE INTO branches (id, base, head, chk) VALUES (?, ?, ?, ?)',
    ),
    deleteBranch: db.prepare<[number]>('DELETE FROM branches WHERE id = ?'),
  };
}

export type Statements = ReturnType<typeof prepareAll>;

