import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobError,
  buildBlob,
  LocalBlobStore,
  openSqliteBlobStore,
  SqliteBlobBackend,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { content, SMALL_CHUNK } from './fixtures.ts';
import { describeBlobStore, type StoreHarness } from './store-contract.ts';

/** Rewrites one row through a second connection, as damage on disk would appear to the store. */
function rewrite(path: string, column: string, where: string, args: (Buffer | number)[], damage: (row: Uint8Array) => Uint8Array) {
  const db = new Database(path);
  try {
    const row = db.prepare<(Buffer | number)[], { v: Buffer }>(`SELECT ${column} AS v FROM ${where}`).get(...args);
    if (row === undefined) throw new Error('no such row');
    db.prepare(`UPDATE ${where.replace(' WHERE', ` SET ${column} = ? WHERE`)}`).run(Buffer.from(damage(new Uint8Array(row.v))), ...args);
  } finally {
    db.close();
  }
}

function sqliteHarness(): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'ame-blobs-'));
  const path = join(dir, 'blobs.db');
  return {
    open: (options = {}) => openSqliteBlobStore(path, options),
    damageChunk: (address, index, damage) =>
      rewrite(path, 'data', 'chunk WHERE address = ? AND idx = ?', [Buffer.from(address), index], damage),
    damageManifest: (address, damage) => rewrite(path, 'manifest', 'blob WHERE address = ?', [Buffer.from(address)], damage),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describeBlobStore('SQLite', sqliteHarness);

describe('SQLite blob store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ame-blobs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes through WAL with synchronous FULL, so an acknowledged write is durable', () => {
    const backend = new SqliteBlobBackend(join(dir, 'a.db'));
    expect(backend.durability()).toEqual({ journalMode: 'wal', synchronous: 2 });
    backend.close();
  });

  it('refuses a file of another layout version (CORRUPT)', () => {
    const path = join(dir, 'b.db');
    const db = new Database(path);
    db.pragma('user_version = 7');
    db.close();
    expect(codeOf(() => openSqliteBlobStore(path), BlobError)).toBe('CORRUPT');
  });

  it('keeps every blob it acknowledged when its process is killed mid-write', async () => {
    const path = join(dir, 'kill.db');
    const child = fileURLToPath(new URL('./sqlite-kill-child.ts', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [child, path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      proc.stdout.on('data', (d: Buffer) => (text += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      proc.stdout.once('data', () => setTimeout(() => proc.kill('SIGKILL'), 300));
      proc.on('error', reject);
      proc.on('close', (code, signal) =>
        signal === 'SIGKILL' ? resolve(text) : reject(new Error(`child exited by itself (${code}): ${err}`)),
      );
    });
    // A line the kill cut short has no newline: it was never a complete acknowledgement.
    const acked = out.split('\n').slice(0, -1).map((line) => line.split(' '));
    expect(acked.length).toBeGreaterThan(0);
    const store = new LocalBlobStore(new SqliteBlobBackend(path));
    try {
      for (const [, i, hex] of acked) {
        const n = Number(i);
        const blob = buildBlob(content(3 * SMALL_CHUNK + n, n), SMALL_CHUNK);
        expect(Buffer.from(blob.address).toString('hex')).toBe(hex);
        expect(store.has(blob.address)).toBe(true);
        expect(store.getRange(blob.address, 0, blob.manifest.size)).toEqual(content(3 * SMALL_CHUNK + n, n));
      }
      const report = store.checkIntegrity();
      expect(report.problems).toEqual([]);
      expect(report.blobs).toBeGreaterThanOrEqual(acked.length);
    } finally {
      store.close();
    }
  });
});
