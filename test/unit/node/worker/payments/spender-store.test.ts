/**
 * Spender stores: a channel's next nonce and per-payee cumulative amounts survive a reopen of the SQLite file;
 * the record is a compare-and-set on the nonce, so a second writer is refused instead of forking the sequence.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../../node/crypto/index.ts';
import {
  MemorySpenderStore,
  type SpenderStore,
  SqliteSpenderStore,
} from '../../../../../node/worker/payments/index.ts';
import { nodeKey, refusal, seeded } from './payments-fixtures.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempPath = (name: string): string => join((dir ??= mkdtempSync(join(tmpdir(), 'ame-spender-'))), name);

const channel = seeded('store channel');
const a = nodeKey(0).publicKey.bytes;
const b = nodeKey(1).publicKey.bytes;

describe.each([
  ['memory', () => new MemorySpenderStore()],
  ['sqlite', () => SqliteSpenderStore.open(':memory:')],
] as const)('%s spender store', (_name, make: () => SpenderStore) => {
  it('starts a channel at nonce 1 with nothing owed, and records per payee', () => {
    const store = make();
    expect(store.load(channel)).toEqual({ nextNonce: 1n, owed: new Map() });
    store.record(channel, a, 10n, 1n);
    store.record(channel, b, 4n, 2n);
    store.record(channel, a, 12n, 3n);
    expect(store.load(channel)).toEqual({ nextNonce: 4n, owed: new Map([[toHex(a), 12n], [toHex(b), 4n]]) });
    expect(store.load(seeded('another channel'))).toEqual({ nextNonce: 1n, owed: new Map() });
    store.close();
  });

  it('refuses a nonce that is not the next one (a second writer), changing nothing', () => {
    const store = make();
    store.record(channel, a, 10n, 1n);
    expect(refusal(() => store.record(channel, a, 20n, 1n))).toEqual({ code: 'STATE_CONFLICT', field: 'nonce' });
    expect(refusal(() => store.record(channel, a, 20n, 3n))).toEqual({ code: 'STATE_CONFLICT', field: 'nonce' });
    expect(store.load(channel)).toEqual({ nextNonce: 2n, owed: new Map([[toHex(a), 10n]]) });
    store.close();
  });

  it('keeps u64 amounts above the signed 64-bit range exactly', () => {
    const store = make();
    const big = (1n << 64n) - 1n;
    store.record(channel, a, big, 1n);
    expect(store.load(channel).owed.get(toHex(a))).toBe(big);
    store.close();
  });

  it('is CLOSED after close', () => {
    const store = make();
    store.close();
    expect(refusal(() => store.load(channel)).code).toBe('CLOSED');
    expect(refusal(() => store.record(channel, a, 1n, 1n)).code).toBe('CLOSED');
  });
});

describe('SqliteSpenderStore on a file', () => {
  it('keeps what it recorded across close and reopen, in a WAL file', () => {
    const path = tempPath('spender.sqlite');
    const first = SqliteSpenderStore.open(path);
    first.record(channel, a, 10n, 1n);
    first.record(channel, b, 3n, 2n);
    first.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const second = SqliteSpenderStore.open(path);
    expect(second.load(channel)).toEqual({ nextNonce: 3n, owed: new Map([[toHex(a), 10n], [toHex(b), 3n]]) });
    second.close();
  });

  it('refuses the stale one of two connections to the same file', () => {
    const path = tempPath('spender.sqlite');
    const one = SqliteSpenderStore.open(path);
    const two = SqliteSpenderStore.open(path);
    one.record(channel, a, 10n, 1n);
    expect(refusal(() => two.record(channel, a, 5n, 1n)).code).toBe('STATE_CONFLICT');
    expect(two.load(channel).nextNonce).toBe(2n);
    one.close();
    two.close();
  });

  it('refuses a file that is not a payments store, or one of another format', () => {
    const junk = tempPath('junk.sqlite');
    writeFileSync(junk, 'this is not an sqlite database, not at all, and it is long enough to have a header');
    expect(refusal(() => SqliteSpenderStore.open(junk)).code).toBe('BAD_STORE');
    const future = tempPath('future.sqlite');
    const db = new Database(future);
    db.pragma('user_version = 99');
    db.close();
    expect(refusal(() => SqliteSpenderStore.open(future)).code).toBe('BAD_STORE');
  });
});
