/**
 * A worker's receipt book, receipt archive and service log in one SQLite file (payments/worker-records.ts): a
 * turn's book rows, archived receipts and log entries commit in one transaction — all of them, or after a failure
 * none, with the book back to what is on disk —, an entry is never written without its archived receipt whoever
 * writes the log (a seal, a close), and the files of earlier versions are folded in without lowering a receipt.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import {
  ChannelSpender,
  MemorySpenderStore,
  type Payment,
  ReceiptBook,
  SqliteBookStore,
} from '../../../../../node/worker/payments/index.ts';
import { SqliteReceiptArchive } from '../../../../../node/worker/payments/receipt-archive.ts';
import {
  LEGACY_ARCHIVE_FILE,
  LEGACY_BOOK_FILE,
  openWorkerRecords,
  RECORDS_FILE,
  type WorkerRecords,
} from '../../../../../node/worker/payments/worker-records.ts';
import { nodeKey, world, type World } from './payments-fixtures.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const folder = () => (dir = mkdtempSync(join(tmpdir(), 'ame-worker-records-')));

function opened(w: World, path: string): { records: WorkerRecords; book: ReceiptBook; close: () => void } {
  const records = openWorkerRecords({ dir: path, now: w.clock.now });
  const book = new ReceiptBook({
    self: nodeKey(0).publicKey.bytes,
    store: records.bookStore,
    channels: w.view,
    now: w.clock.now,
    commit: records.commit,
  });
  return {
    records,
    book,
    close: () => {
      book.close();
      records.close();
    },
  };
}

const spenderOf = (w: World) =>
  new ChannelSpender({ channel: w.channel, session: w.session, authorization: w.auth, store: new MemorySpenderStore(), now: w.clock.now });

/** What a worker does for one paid request: the receipt taken, its entry appended with the receipt archived beside it. */
async function serve(records: WorkerRecords, book: ReceiptBook, p: Payment, archiveFails = false): Promise<void> {
  const taken = book.take(p.receipt, p.authorization, 10n);
  const hash = taken.accepted.hash;
  const logged = records.log.appendAsync(
    { requestId: hash.subarray(0, 16), client: utf8('client'), service: 'blob-get', bytes: 4096, computeUnits: 0, resultHash: hash, latencyMs: 1, receiptHash: hash },
    () => {
      if (archiveFails) throw new Error('disk full');
      records.archive.put(hash, p.receipt, p.authorization, 1);
    },
  );
  await Promise.all([taken.durable, logged]);
}

/** The rows on disk, read through a connection of its own. */
function onDisk(path: string): { nonce: bigint | undefined; archived: number; entries: number } {
  const db = new Database(join(path, RECORDS_FILE), { readonly: true });
  try {
    const book = db.prepare('SELECT nonce FROM book_receipt').get() as { nonce: string } | undefined;
    const archived = (db.prepare('SELECT count(*) AS n FROM receipts').get() as { n: number }).n;
    const entries = (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n;
    return { nonce: book === undefined ? undefined : BigInt(book.nonce), archived, entries };
  } finally {
    db.close();
  }
}

describe('worker records: the book, the archive and the log in one file', () => {
  it("commits a turn's book rows, archived receipts and log entries together: all, or after a failure none", async () => {
    const w = world({ escrow: 1_000_000n });
    const path = folder();
    const s = spenderOf(w);
    const a = opened(w, path);
    const first = Array.from({ length: 3 }, () => s.pay(w.payees[0]!, 10n));
    await Promise.all(first.map((p) => serve(a.records, a.book, p)));
    expect(onDisk(path)).toEqual({ nonce: 3n, archived: 3, entries: 3 });

    // One request's archive write fails in the next turn: the turn's transaction holds the book's row of all three,
    // their receipts and entries — none of it reaches the disk, every request is refused, and the book is back to
    // nonce 3.
    const second = Array.from({ length: 3 }, () => s.pay(w.payees[0]!, 10n));
    const outcomes = await Promise.all(second.map((p, i) => serve(a.records, a.book, p, i === 1).then(() => 'ok', (e: Error) => e.message)));
    expect(outcomes.every((o) => /disk full/.test(o))).toBe(true);
    expect(onDisk(path)).toEqual({ nonce: 3n, archived: 3, entries: 3 });
    expect(a.book.latest(w.channel.id)?.nonce).toBe(3n);
    expect(a.records.log.tail().seq).toBe(3);

    // The book goes on from what is on disk: the client's next receipt (it owes the refused ones too) is taken.
    const third = s.pay(w.payees[0]!, 10n);
    await serve(a.records, a.book, third);
    a.close();
    const b = opened(w, path);
    expect(b.book.latest(w.channel.id)).toMatchObject({ nonce: third.fields.nonce, amount: 70n });
    expect(b.records.archive.get(third.hash)?.receipt).toEqual(third.receipt);
    expect(b.records.log.tail().seq).toBe(4);
    expect(b.records.log.verify().ok).toBe(true);
    b.close();
  });

  it('never writes an entry without its archived receipt, whoever writes the log: a seal in the same turn, a close', async () => {
    const w = world({ escrow: 1_000_000n });
    const path = folder();
    const s = spenderOf(w);
    const a = opened(w, path);
    const p = s.pay(w.payees[0]!, 10n);
    const taken = a.book.take(p.receipt, p.authorization, 10n);
    const hash = taken.accepted.hash;
    const entry = { requestId: hash.subarray(0, 16), client: utf8('c'), service: 'blob-get', bytes: 1, computeUnits: 0, resultHash: hash, latencyMs: 1, receiptHash: hash };
    const logged = a.records.log.appendAsync(entry, () => a.records.archive.put(hash, p.receipt, p.authorization, 1));
    // A quiet-log seal before the group's turn takes the entry — and its receipt — along.
    const sealed = a.records.log.seal();
    expect(sealed?.lastSeq).toBe(1);
    expect(a.records.archive.get(hash)?.receipt).toEqual(p.receipt);
    await logged;
    await taken.durable;
    // Entries still waiting when the worker stops are written with theirs.
    const q = s.pay(w.payees[0]!, 10n);
    const next = a.book.take(q.receipt, q.authorization, 10n);
    const qHash = next.accepted.hash;
    void a.records.log.appendAsync({ ...entry, requestId: qHash.subarray(0, 16), receiptHash: qHash }, () => a.records.archive.put(qHash, q.receipt, q.authorization, 2));
    a.close();
    expect(onDisk(path)).toEqual({ nonce: 2n, archived: 2, entries: 2 });
  });

  it('folds the files of earlier versions in, never lowering a receipt, and deletes them', async () => {
    const w = world({ escrow: 1_000_000n });
    const path = folder();
    const s = spenderOf(w);
    const payments = Array.from({ length: 9 }, () => s.pay(w.payees[0]!, 10n));
    const legacy = (nonce: number) => {
      const p = payments[nonce - 1]!;
      const store = SqliteBookStore.open(join(path, LEGACY_BOOK_FILE));
      store.write([{ channel: w.channel.id, receipt: p.receipt, authorization: p.authorization, nonce: BigInt(nonce), paid: 0n, since: 1 }]);
      store.close();
      const archive = SqliteReceiptArchive.open(join(path, LEGACY_ARCHIVE_FILE));
      archive.group(() => archive.put(p.hash, p.receipt, p.authorization, 1));
      archive.close();
    };
    legacy(5);
    const a = opened(w, path);
    expect(a.book.latest(w.channel.id)?.nonce).toBe(5n);
    expect(a.records.archive.get(payments[4]!.hash)?.receipt).toEqual(payments[4]!.receipt);
    for (const file of [LEGACY_BOOK_FILE, LEGACY_ARCHIVE_FILE]) expect(existsSync(join(path, file))).toBe(false);
    await serve(a.records, a.book, payments[8]!);
    a.close();
    // A copy of an older book left behind (a crash before its files were deleted) does not lower the receipt.
    legacy(7);
    const b = opened(w, path);
    expect(b.book.latest(w.channel.id)?.nonce).toBe(9n);
    expect(b.records.archive.get(payments[6]!.hash)).toBeDefined();
    b.close();
    expect(onDisk(path)).toEqual({ nonce: 9n, archived: 3, entries: 1 });
  });

  it('refuses a legacy book of another format, leaving it in place', () => {
    const w = world();
    const path = folder();
    const db = new Database(join(path, LEGACY_BOOK_FILE));
    db.pragma('user_version = 9');
    db.close();
    let thrown: unknown;
    try {
      opened(w, path);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'BAD_STORE' });
    expect(existsSync(join(path, LEGACY_BOOK_FILE))).toBe(true);
  });

  it('refuses every request of a turn once the log is closed', async () => {
    const w = world();
    const path = folder();
    const s = spenderOf(w);
    const a = opened(w, path);
    a.records.log.close();
    const p = s.pay(w.payees[0]!, 10n);
    await expect(serve(a.records, a.book, p)).rejects.toThrow(/closed/);
    expect(a.book.latest(w.channel.id)).toBeUndefined();
    a.close();
  });
});
