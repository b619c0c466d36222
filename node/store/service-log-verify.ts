/**
 * Full integrity check of a service-log database: recomputes the entry chain from the oldest retained entry,
 * every retained batch's Merkle root, the batch-record chain and the meta values, and reports every
 * contradiction with its table and seq or batch index. It reports rather than throws, so one bad row does not
 * hide the others; after a bad row it resynchronises on the stored hash, so one changed byte yields one or two
 * problems rather than a cascade down the chain.
 *
 * Works on a bare connection (no ServiceLog needed), so an operator tool can check a log that no longer opens.
 */
import type Database from 'better-sqlite3';
import { bytesEqual } from '../crypto/index.ts';
import { type BatchRecord, batchHashOfEncoding, decodeBatchRecord, GENESIS_BATCH_HASH } from './service-log-batch.ts';
import { HASH_LENGTH, plain } from './service-log-codec.ts';
import { decodeEntry, entryChainHash, GENESIS_CHAIN_HASH } from './service-log-entry.ts';
import { merkleRoot } from './service-log-merkle.ts';
import { LOG_FORMAT, type LogMeta, type LogTable, META_KEYS, readMeta } from './service-log-schema.ts';

export interface LogProblem {
  readonly table: LogTable;
  /** The entry's seq (entries) or the first seq a problem concerns. */
  readonly seq?: number;
  /** The batch index (batches). */
  readonly index?: number;
  /** The meta key (meta). */
  readonly key?: string;
  readonly message: string;
}

export interface LogVerifyReport {
  readonly ok: boolean;
  /** Rows read. */
  readonly entries: number;
  readonly batches: number;
  /** Problems found, the first `maxProblems` of them in `problems`. */
  readonly problemCount: number;
  readonly problems: readonly LogProblem[];
}

export interface LogVerifyOptions {
  /** How many problems to list (all are counted); default 100. */
  readonly maxProblems?: number;
}

class ProblemList {
  readonly list: LogProblem[] = [];
  count = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  add(problem: LogProblem): void {
    this.count += 1;
    if (this.list.length < this.#max) this.list.push(problem);
  }
}

function hashOf(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array && value.length === HASH_LENGTH ? plain(value) : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkMeta(db: Database.Database, problems: ProblemList): Partial<LogMeta> {
  const known = new Set<unknown>(Object.values(META_KEYS));
  for (const { key } of db.prepare('SELECT key FROM meta ORDER BY key').all() as { key: unknown }[]) {
    if (!known.has(key)) problems.add({ table: 'meta', key: String(key), message: 'unknown meta key' });
  }
  const meta = readMeta(db, (key, value) =>
    problems.add({ table: 'meta', key, message: `${key} is ${String(value)}` }),
  );
  if (meta.format !== undefined && meta.format !== LOG_FORMAT) {
    problems.add({ table: 'meta', key: META_KEYS.format, message: `format is ${meta.format}, not ${LOG_FORMAT}` });
  }
  return meta;
}

/** The recorded tail must be where the rows end: a lost newest entry or record shows up only here. */
function checkTail(
  meta: Partial<LogMeta>,
  lastBatch: number,
  lastSeq: number | undefined,
  problems: ProblemList,
): void {
  if (meta.lastBatch !== undefined && meta.lastBatch !== lastBatch) {
    problems.add({
      table: 'meta',
      key: META_KEYS.lastBatch,
      message: `last_batch is ${meta.lastBatch}, the last batch row is ${lastBatch}`,
    });
  }
  // With every entry pruned, the rows end just before retained_from.
  const rowsEnd = lastSeq ?? (meta.retainedFrom === undefined ? undefined : meta.retainedFrom - 1);
  if (meta.lastSeq !== undefined && rowsEnd !== undefined && meta.lastSeq !== rowsEnd) {
    problems.add({
      table: 'meta',
      key: META_KEYS.lastSeq,
      message: `last_seq is ${meta.lastSeq}, the entries end at ${rowsEnd}`,
    });
  }
}

interface BatchRow {
  idx: unknown;
  last_seq: unknown;
  record: unknown;
  hash: unknown;
}

/** Decodes and chains the batch records; returns the decodable ones in index order. */
function checkBatches(
  db: Database.Database,
  problems: ProblemList,
): { records: BatchRecord[]; rows: number; lastIndex: number } {
  const records: BatchRecord[] = [];
  let rows = 0;
  let expectedIndex = 1;
  let lastIndex = 0;
  let prevHash: Uint8Array | undefined = GENESIS_BATCH_HASH;
  // The end of the previous batch; undefined after a record that did not decode.
  let prev: { lastSeq: number; lastTime: number } | undefined = { lastSeq: 0, lastTime: 0 };
  for (const row of db
    .prepare('SELECT idx, last_seq, record, hash FROM batches ORDER BY idx')
    .iterate() as Iterable<BatchRow>) {
    rows += 1;
    const index = typeof row.idx === 'number' ? row.idx : expectedIndex;
    const report = (message: string): void => problems.add({ table: 'batches', index, message });
    if (row.idx !== expectedIndex) report(`expected batch index ${expectedIndex}, found ${String(row.idx)}`);
    expectedIndex = index + 1;
    lastIndex = index;
    const stored = hashOf(row.hash);
    if (stored === undefined) report('hash is not 32 bytes');
    let record: BatchRecord;
    try {
      record = decodeBatchRecord(row.record as Uint8Array);
    } catch (error) {
      report(`record is malformed: ${errorText(error)}`);
      prevHash = stored;
      prev = undefined;
      continue;
    }
    const computed = batchHashOfEncoding(row.record as Uint8Array);
    if (stored !== undefined && !bytesEqual(stored, computed)) report('hash does not match the record');
    if (record.index !== row.idx) report(`record says index ${record.index}`);
    if (record.lastSeq !== row.last_seq) {
      report(`last_seq is ${String(row.last_seq)}, the record says ${record.lastSeq}`);
    }
    if (prevHash !== undefined && !bytesEqual(record.prevBatchHash, prevHash)) {
      report('prevBatchHash does not match the previous record');
    }
    if (prev !== undefined && record.firstSeq !== prev.lastSeq + 1) {
      report(`firstSeq ${record.firstSeq} does not follow the previous batch's lastSeq ${prev.lastSeq}`);
    }
    if (prev !== undefined && record.firstTime < prev.lastTime) report('firstTime is before the previous batch ended');
    records.push(record);
    prevHash = computed;
    prev = record;
  }
  return { records, rows, lastIndex };
}

interface EntryRow {
  seq: number;
  data: unknown;
  hash: unknown;
}

/** Per-batch accumulation of stored entry hashes and times while the entries stream past. */
interface BatchCheck {
  readonly record: BatchRecord;
  readonly hashes: (Uint8Array | undefined)[];
  readonly times: (number | undefined)[];
}

function finishBatch(check: BatchCheck, problems: ProblemList): void {
  const { record, hashes, times } = check;
  const report = (message: string): void =>
    problems.add({ table: 'entries', seq: record.firstSeq, index: record.index, message });
  const count = record.lastSeq - record.firstSeq + 1;
  if (hashes.length !== count) {
    report(
      `batch ${record.index} has ${hashes.length} of its ${count} entries (seq ${record.firstSeq}..${record.lastSeq})`,
    );
    return;
  }
  const known = hashes.filter((hash) => hash !== undefined);
  if (known.length === count && !bytesEqual(merkleRoot(known), record.root)) {
    report(`entries ${record.firstSeq}..${record.lastSeq} do not give the root of batch ${record.index}`);
  }
  const last = hashes[count - 1];
  if (last !== undefined && !bytesEqual(last, record.chainHash)) {
    report(`chain hash at seq ${record.lastSeq} is not batch ${record.index}'s chainHash`);
  }
  if (times[0] !== undefined && times[0] !== record.firstTime) {
    report(`batch ${record.index} firstTime differs from its entry`);
  }
  if (times[count - 1] !== undefined && times[count - 1] !== record.lastTime) {
    report(`batch ${record.index} lastTime differs from its entry`);
  }
}

function checkEntries(
  db: Database.Database,
  records: readonly BatchRecord[],
  retainedFrom: number | undefined,
  problems: ProblemList,
): { rows: number; lastSeq: number | undefined } {
  let expected = retainedFrom;
  let lastSeq: number | undefined;
  let prevHash: Uint8Array | undefined = GENESIS_CHAIN_HASH;
  let prevTime = 0;
  let next = 0; // index into records of the first batch not finished yet
  if (retainedFrom !== undefined && retainedFrom > 1) {
    const cut = records.find((record) => record.lastSeq === retainedFrom - 1);
    if (cut === undefined) {
      problems.add({
        table: 'meta',
        key: 'retained_from',
        message: `retained_from ${retainedFrom} is not just after a sealed batch`,
      });
      prevHash = undefined;
    } else {
      prevHash = cut.chainHash;
      prevTime = cut.lastTime;
    }
  }
  if (retainedFrom !== undefined) {
    while (next < records.length && (records[next] as BatchRecord).lastSeq < retainedFrom) next += 1;
  }
  let open: BatchCheck | undefined;
  /** Finishes records[next] with whatever entries of it were seen, and moves on. */
  const finishNext = (): void => {
    const record = records[next] as BatchRecord;
    finishBatch(open !== undefined && open.record === record ? open : { record, hashes: [], times: [] }, problems);
    open = undefined;
    next += 1;
  };
  let rows = 0;
  for (const row of db.prepare('SELECT seq, data, hash FROM entries ORDER BY seq').iterate() as Iterable<EntryRow>) {
    rows += 1;
    const { seq } = row;
    const report = (message: string): void => problems.add({ table: 'entries', seq, message });
    if (expected !== undefined && seq !== expected) {
      report(`expected seq ${expected}, found ${seq}`);
      prevHash = undefined; // the chain cannot be followed across a gap
    }
    expected = seq + 1;
    lastSeq = seq;
    // Batches that end before this seq are finished, complete or not.
    while (next < records.length && (records[next] as BatchRecord).lastSeq < seq) finishNext();
    const stored = hashOf(row.hash);
    if (stored === undefined) report('hash is not 32 bytes');
    let time: number | undefined;
    try {
      const entry = decodeEntry(row.data as Uint8Array);
      if (entry.seq !== seq) report(`the entry says seq ${entry.seq}`);
      if (entry.time < prevTime) report(`time ${entry.time} is before the previous entry's ${prevTime}`);
      time = entry.time;
      prevTime = entry.time;
    } catch (error) {
      report(`entry is malformed: ${errorText(error)}`);
    }
    let computed: Uint8Array | undefined;
    if (prevHash !== undefined && row.data instanceof Uint8Array) {
      computed = entryChainHash(prevHash, row.data);
      if (stored !== undefined && !bytesEqual(stored, computed)) report('hash does not match the chain');
    }
    prevHash = stored ?? computed;
    const record = records[next];
    if (record !== undefined && seq >= record.firstSeq) {
      open ??= { record, hashes: [], times: [] };
      open.hashes.push(stored);
      open.times.push(time);
      if (seq === record.lastSeq) finishNext();
    }
  }
  while (next < records.length) finishNext();
  return { rows, lastSeq };
}

export function verifyServiceLogDatabase(db: Database.Database, options: LogVerifyOptions = {}): LogVerifyReport {
  const problems = new ProblemList(options.maxProblems ?? 100);
  // One read transaction: a consistent snapshot even if a writer commits meanwhile.
  return db
    .transaction(() => {
      const meta = checkMeta(db, problems);
      const { records, rows: batches, lastIndex } = checkBatches(db, problems);
      const { rows: entries, lastSeq } = checkEntries(db, records, meta.retainedFrom, problems);
      checkTail(meta, lastIndex, lastSeq, problems);
      return { ok: problems.count === 0, entries, batches, problemCount: problems.count, problems: problems.list };
    })
    .deferred();
}
