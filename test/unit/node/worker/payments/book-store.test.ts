/**
 * Book stores: rows per channel, replaced in place, u64 `paid` kept exactly, the SQLite file durable across a
 * reopen; a book refuses to open over rows it cannot decode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BookRow,
  type BookStore,
  MemoryBookStore,
  ReceiptBook,
  SqliteBookStore,
} from '../../../../../node/worker/payments/index.ts';
import { refusal, seeded, T0 } from './payments-fixtures.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const row = (n: number, patch: Partial<BookRow> = {}): BookRow => ({
  channel: seeded(`book channel ${n}`),
  receipt: Uint8Array.of(n, 1, 2),
  authorization: Uint8Array.of(n, 3),
  nonce: 5n,
  paid: 0n,
  since: T0,
  ...patch,
});
const byChannel = (rows: BookRow[]) => [...rows].sort((a, b) => Buffer.compare(a.channel, b.channel));

describe.each([
  ['memory', () => new MemoryBookStore()],
  ['sqlite', () => SqliteBookStore.open(':memory:')],
] as const)('%s book store', (_name, make: () => BookStore) => {
  it('writes rows per channel and replaces a channel in place', () => {
    const store = make();
    expect(store.load()).toEqual([]);
    store.write([row(1), row(2, { since: null })]);
    store.write([row(1, { receipt: Uint8Array.of(9), paid: (1n << 64n) - 1n })]);
    expect(byChannel(store.load())).toEqual(byChannel([row(1, { receipt: Uint8Array.of(9), paid: (1n << 64n) - 1n }), row(2, { since: null })]));
    store.close();
    expect(refusal(() => store.load()).code).toBe('CLOSED');
  });

  it('never goes back to a lower nonce nor lowers what was paid (a stale writer cannot undo a newer one)', () => {
    const store = make();
    store.write([row(1, { nonce: 10n, paid: 7n, receipt: Uint8Array.of(10) })]);
    store.write([row(1, { nonce: 9n, paid: 8n, receipt: Uint8Array.of(9) })]);
    expect(store.load()).toEqual([row(1, { nonce: 10n, paid: 7n, receipt: Uint8Array.of(10) })]);
    store.write([row(1, { nonce: 11n, paid: 3n, receipt: Uint8Array.of(11) })]);
    expect(store.load()).toEqual([row(1, { nonce: 11n, paid: 7n, receipt: Uint8Array.of(11) })]);
    store.write([row(1, { nonce: 11n, paid: 9n, receipt: Uint8Array.of(11) })]);
    expect(store.load()[0]?.paid).toBe(9n);
    // Ordered as numbers, not as digits: 100 is above 99.
    store.write([row(2, { nonce: 99n })]);
    store.write([row(2, { nonce: 100n, receipt: Uint8Array.of(100) })]);
    store.write([row(2, { nonce: (1n << 64n) - 1n, receipt: Uint8Array.of(255) })]);
    store.write([row(2, { nonce: 100n, receipt: Uint8Array.of(100) })]);
    expect(store.load().find((r) => r.nonce > 11n)?.receipt).toEqual(Uint8Array.of(255));
    store.close();
  });

  it('keeps its own copies of the bytes it was given', () => {
    const store = make();
    const r = row(3);
    store.write([r]);
    r.receipt[0] = 77;
    expect(store.load()[0]?.receipt[0]).toBe(3);
    store.close();
  });
});

describe('SqliteBookStore on a file', () => {
  it('keeps rows across close and reopen', () => {
    const path = join((dir = mkdtempSync(join(tmpdir(), 'ame-book-'))), 'book.sqlite');
    const first = SqliteBookStore.open(path);
    first.write([row(1, { paid: 12n })]);
    first.close();
    const second = SqliteBookStore.open(path);
    expect(second.load()).toEqual([row(1, { paid: 12n })]);
    second.close();
  });

  it('a book refuses to open over a row that does not decode', () => {
    const store = new MemoryBookStore();
    store.write([row(1)]);
    expect(
      refusal(() => new ReceiptBook({ self: new Uint8Array(32), store, channels: () => undefined, now: () => T0 })).code,
    ).toBe('BAD_STORE');
  });
});
