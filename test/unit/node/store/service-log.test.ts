import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { batchRecordHash } from '../../../../node/store/service-log-batch.ts';
import { encodeEntry, entryChainHash, GENESIS_CHAIN_HASH } from '../../../../node/store/service-log-entry.ts';
import { ServiceLogError } from '../../../../node/store/service-log-errors.ts';
import { merkleRoot } from '../../../../node/store/service-log-merkle.ts';
import { verifyLogProof } from '../../../../node/store/service-log-proof.ts';
import { ServiceLog, type ServiceLogOptions } from '../../../../node/store/service-log.ts';
import { manualClock, sampleEntry, tempDir } from './service-log-fixtures.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempFile(): string {
  const { file, cleanup } = tempDir();
  cleanups.push(cleanup);
  return file;
}

function openTemp(options: Partial<ServiceLogOptions> = {}): { log: ServiceLog; file: string } {
  const { file, cleanup } = tempDir();
  const log = ServiceLog.open({ path: file, ...options });
  cleanups.push(() => {
    log.close();
    cleanup();
  });
  return { log, file };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ServiceLogError ? error.code : `not a ServiceLogError: ${String(error)}`;
  }
  return undefined;
}

describe('ServiceLog appends', () => {
  it('assigns seq from 1, the clock time, and chains the entries', () => {
    const clock = manualClock(5000);
    const log = ServiceLog.open({ path: ':memory:', now: clock.now });
    const first = log.append(sampleEntry(1));
    clock.set(6000);
    const [second, third] = log.appendMany([sampleEntry(2), sampleEntry(3)]);
    expect([first.seq, second?.seq, third?.seq]).toEqual([1, 2, 3]);
    expect([first.time, second?.time]).toEqual([5000, 6000]);
    const e1 = log.getEntry(1);
    expect(e1).toEqual({ ...sampleEntry(1), seq: 1, time: 5000 });
    const h1 = entryChainHash(GENESIS_CHAIN_HASH, encodeEntry(e1));
    expect(toHex(first.hash)).toBe(toHex(h1));
    expect(toHex(second?.hash ?? h1)).toBe(toHex(entryChainHash(h1, encodeEntry(log.getEntry(2)))));
    expect(log.tail()).toMatchObject({ seq: 3, time: 6000, sealedThrough: 0, batchIndex: 0 });
    expect(toHex(log.tail().hash)).toBe(toHex(third?.hash ?? h1));
    log.close();
  });

  it('never lets time go back, so time order is seq order', () => {
    const clock = manualClock(10_000);
    const log = ServiceLog.open({ path: ':memory:', now: clock.now });
    log.append(sampleEntry(1));
    clock.set(9_000);
    expect(log.append(sampleEntry(2)).time).toBe(10_000);
    clock.set(10_500.7);
    expect(log.append(sampleEntry(3)).time).toBe(10_500);
    log.close();
  });

  it('refuses a bad entry with BAD_ENTRY and writes nothing of a bad batch', () => {
    const log = ServiceLog.open({ path: ':memory:' });
    expect(code(() => log.append({ ...sampleEntry(1), service: 'Bad Name' }))).toBe('BAD_ENTRY');
    expect(code(() => log.appendMany([sampleEntry(1), { ...sampleEntry(2), resultHash: new Uint8Array(1) }]))).toBe(
      'BAD_ENTRY',
    );
    expect(log.stats().lastSeq).toBe(0);
    log.close();
  });

  it('groups every appendAsync of one turn into one transaction, resolved after it', async () => {
    const clock = manualClock();
    const log = ServiceLog.open({ path: ':memory:', batchSize: 16, now: clock.now });
    const callsBefore = clock.calls();
    const promises = Array.from({ length: 40 }, (_, i) => log.appendAsync(sampleEntry(i)));
    expect(log.stats()).toMatchObject({ pending: 40, lastSeq: 0 });
    const results = await Promise.all(promises);
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(clock.calls() - callsBefore).toBe(1); // the engine reads the clock once per transaction
    expect(log.stats()).toMatchObject({ pending: 0, lastSeq: 40, batches: 2, sealedThrough: 32, unsealed: 8 });
    // The next turn starts a new group.
    await Promise.all([log.appendAsync(sampleEntry(41)), log.appendAsync(sampleEntry(42))]);
    expect(clock.calls() - callsBefore).toBe(2);
    log.close();
  });

  it('keeps call order when a synchronous append meets waiting async ones', async () => {
    const log = ServiceLog.open({ path: ':memory:' });
    const early = log.appendAsync(sampleEntry(1));
    const sync = log.append(sampleEntry(2));
    expect(sync.seq).toBe(2);
    expect((await early).seq).toBe(1);
    log.close();
  });

  it('rejects an invalid appendAsync alone, without the rest of its group', async () => {
    const log = ServiceLog.open({ path: ':memory:' });
    const good = log.appendAsync(sampleEntry(1));
    const bad = log.appendAsync({ ...sampleEntry(2), bytes: -1 });
    await expect(bad).rejects.toMatchObject({ code: 'BAD_ENTRY' });
    await expect(good).resolves.toMatchObject({ seq: 1 });
    log.close();
  });

  it('rejects a whole group whose transaction fails and leaves the tail as it was', async () => {
    let fail = false;
    const log = ServiceLog.open({
      path: ':memory:',
      batchSize: 4,
      now: () => {
        if (fail) throw new Error('clock broke');
        return 1000;
      },
    });
    log.appendMany([1, 2, 3].map(sampleEntry));
    const tailBefore = log.tail();
    fail = true;
    const group = [4, 5, 6].map((i) => log.appendAsync(sampleEntry(i)));
    for (const promise of group) await expect(promise).rejects.toThrow('clock broke');
    expect(() => log.seal()).toThrow('clock broke');
    expect(log.tail()).toEqual(tailBefore);
    fail = false;
    log.appendMany([4, 5, 6].map(sampleEntry));
    expect(log.stats()).toMatchObject({ lastSeq: 6, batches: 1, sealedThrough: 4, unsealed: 2 });
    expect(log.verify()).toMatchObject({ ok: true, entries: 6, batches: 1 });
    log.close();
  });
});

describe('ServiceLog batches and proofs', () => {
  it('seals every batchSize entries and on seal(), chaining the records', () => {
    const log = ServiceLog.open({ path: ':memory:', batchSize: 4 });
    const results = log.appendMany(Array.from({ length: 10 }, (_, i) => sampleEntry(i)));
    expect(log.stats()).toMatchObject({ batches: 2, sealedThrough: 8, unsealed: 2 });
    const sealed = log.seal();
    expect(sealed).toMatchObject({ index: 3, firstSeq: 9, lastSeq: 10 });
    expect(log.seal()).toBeUndefined();
    const b2 = log.getBatch(2);
    expect(toHex(b2.root)).toBe(toHex(merkleRoot(results.slice(4, 8).map((r) => r.hash))));
    expect(toHex(b2.chainHash)).toBe(toHex(results[7]?.hash ?? new Uint8Array()));
    expect(toHex(sealed?.prevBatchHash ?? new Uint8Array())).toBe(toHex(batchRecordHash(b2)));
    expect(toHex(log.tail().batchHash)).toBe(toHex(batchRecordHash(log.getBatch(3))));
    expect(code(() => log.getBatch(4))).toBe('NOT_FOUND');
    expect(code(() => log.getBatch(0))).toBe('NOT_FOUND');
    log.close();
  });

  it('proves every sealed entry; refuses unsealed, unknown and pruned ones with their codes', () => {
    const log = ServiceLog.open({ path: ':memory:', batchSize: 7 });
    log.appendMany(Array.from({ length: 30 }, (_, i) => sampleEntry(i)));
    for (let seq = 1; seq <= 28; seq += 1) {
      const proof = log.prove(seq);
      expect(verifyLogProof(log.getBatch(proof.batch.index), proof)).toBe(true);
    }
    expect(code(() => log.prove(29))).toBe('UNSEALED');
    expect(code(() => log.prove(31))).toBe('NOT_FOUND');
    expect(code(() => log.prove(0))).toBe('NOT_FOUND');
    expect(code(() => log.prove(1.5))).toBe('NOT_FOUND');
    log.seal();
    expect(verifyLogProof(log.getBatch(5).root, log.prove(30))).toBe(true);
    log.prune({ beforeSeq: 15 });
    expect(code(() => log.prove(14))).toBe('PRUNED');
    expect(code(() => log.getEntry(1))).toBe('PRUNED');
    // The first retained entry chains from the pruned batch's recorded chain hash.
    const first = log.prove(15);
    expect(toHex(first.prevChainHash)).toBe(toHex(log.getBatch(2).chainHash));
    expect(verifyLogProof(log.getBatch(3), first)).toBe(true);
    log.close();
  });
});

describe('ServiceLog retention', () => {
  it('prunes whole sealed batches before a seq, keeps the records, and still verifies', () => {
    const log = ServiceLog.open({ path: ':memory:', batchSize: 5 });
    log.appendMany(Array.from({ length: 23 }, (_, i) => sampleEntry(i)));
    expect(log.prune({ beforeSeq: 13 })).toEqual({ entries: 10, batches: 2, retainedFrom: 11 });
    expect(log.prune({ beforeSeq: 13 })).toEqual({ entries: 0, batches: 0, retainedFrom: 11 });
    expect(log.stats()).toMatchObject({ entries: 13, batches: 4, firstSeq: 11, lastSeq: 23 });
    expect(log.getBatch(1).lastSeq).toBe(5);
    expect(log.verify()).toMatchObject({ ok: true, entries: 13, batches: 4 });
    // The unsealed tail (21..23) is never pruned.
    expect(log.prune({ beforeSeq: 1000 })).toEqual({ entries: 10, batches: 2, retainedFrom: 21 });
    expect(log.verify()).toMatchObject({ ok: true, entries: 3 });
    log.seal();
    log.prune({ beforeSeq: 1000 });
    expect(log.stats()).toMatchObject({ entries: 0, firstSeq: null, lastSeq: 23 });
    expect(log.verify().ok).toBe(true);
    // The chain goes on from the tail kept in the batch records.
    log.append(sampleEntry(24));
    expect(log.verify()).toMatchObject({ ok: true, entries: 1 });
    log.close();
  });

  it('prunes by time', () => {
    const clock = manualClock(1000);
    const log = ServiceLog.open({ path: ':memory:', batchSize: 2, now: clock.now });
    for (let i = 0; i < 6; i += 1) {
      clock.set(1000 + i * 100);
      log.append(sampleEntry(i));
    }
    // Batches end at times 1100, 1300, 1500: only the first ends before 1200.
    expect(log.prune({ beforeTime: 1200 })).toMatchObject({ entries: 2, batches: 1, retainedFrom: 3 });
    expect(log.prune({ beforeTime: 1301 })).toMatchObject({ entries: 2, batches: 1, retainedFrom: 5 });
    expect(log.verify().ok).toBe(true);
    expect(() => log.prune({ beforeTime: -1 })).toThrow(RangeError);
    log.close();
  });
});

describe('ServiceLog durability', () => {
  it('runs WAL with synchronous=FULL', () => {
    const { log } = openTemp();
    expect(log.durability()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
  });

  it('continues the chain and the open batch after a reopen', () => {
    const file = tempFile();
    const clock = manualClock();
    let log = ServiceLog.open({ path: file, batchSize: 4, now: clock.now });
    log.appendMany(Array.from({ length: 6 }, (_, i) => sampleEntry(i)));
    const tail = log.tail();
    log.close();
    log = ServiceLog.open({ path: file, batchSize: 4, now: clock.now });
    expect(log.tail()).toEqual(tail);
    expect(log.stats()).toMatchObject({ unsealed: 2 });
    log.appendMany([6, 7].map(sampleEntry));
    expect(log.stats()).toMatchObject({ batches: 2, sealedThrough: 8, unsealed: 0 });
    expect(log.getBatch(2)).toMatchObject({ firstSeq: 5, lastSeq: 8 });
    expect(log.verify()).toMatchObject({ ok: true, entries: 8 });
    log.close();
    // A smaller batch size at the next open seals the now-oversized tail at once.
    log = ServiceLog.open({ path: file, batchSize: 4, now: clock.now });
    log.appendMany([8, 9, 10].map(sampleEntry));
    log.close();
    log = ServiceLog.open({ path: file, batchSize: 2, now: clock.now });
    expect(log.stats()).toMatchObject({ batches: 3, sealedThrough: 10, unsealed: 1 });
    expect(log.verify().ok).toBe(true);
    log.close();
  });

  it('writes waiting async appends on close, and refuses use afterwards', async () => {
    const file = tempFile();
    const log = ServiceLog.open({ path: file });
    const waiting = log.appendAsync(sampleEntry(1));
    log.close();
    await expect(waiting).resolves.toMatchObject({ seq: 1 });
    expect(log.closed).toBe(true);
    expect(code(() => log.append(sampleEntry(2)))).toBe('CLOSED');
    expect(code(() => log.stats())).toBe('CLOSED');
    await expect(log.appendAsync(sampleEntry(2))).rejects.toMatchObject({ code: 'CLOSED' });
    log.close();
    const reopened = ServiceLog.open({ path: file });
    expect(reopened.tail().seq).toBe(1);
    reopened.close();
  });

  it('refuses to fork the chain when a second writer appended to the same file', () => {
    const { log, file } = openTemp();
    log.append(sampleEntry(1));
    const other = ServiceLog.open({ path: file });
    other.append(sampleEntry(2));
    other.close();
    expect(code(() => log.append(sampleEntry(3)))).toBe('CORRUPT');
  });

  it('refuses to open a log whose tail does not hold together', () => {
    const file = tempFile();
    const log = ServiceLog.open({ path: file, batchSize: 4 });
    log.appendMany(Array.from({ length: 6 }, (_, i) => sampleEntry(i)));
    log.close();
    const raw = new Database(file);
    raw.prepare('UPDATE entries SET hash = zeroblob(32) WHERE seq = 5').run();
    raw.close();
    expect(code(() => ServiceLog.open({ path: file, batchSize: 4 }))).toBe('CORRUPT');
  });

  it('reports size and bytes on disk', () => {
    const { log } = openTemp({ batchSize: 100 });
    log.appendMany(Array.from({ length: 250 }, (_, i) => sampleEntry(i)));
    const stats = log.stats();
    expect(stats).toMatchObject({ entries: 250, batches: 2, firstSeq: 1, lastSeq: 250, unsealed: 50 });
    expect(stats.bytesOnDisk).toBeGreaterThan(250 * 150);
  });

  it('rejects a batch size out of range', () => {
    expect(() => ServiceLog.open({ path: ':memory:', batchSize: 0 })).toThrow(RangeError);
    expect(() => ServiceLog.open({ path: ':memory:', batchSize: 2 ** 21 })).toThrow(RangeError);
  });
});
