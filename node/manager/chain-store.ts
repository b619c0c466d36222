/**
 * The block store of a manager (docs/explorer.md "Chain store"): the final chain as it was applied, in one SQLite
 * file (WAL, synchronous FULL: an append that returned is on disk).
 *
 *   blocks(height → hash, header, encoded block with its certificate, certificate, time, tx count, state version)
 *   txs(hash → height, index, outcome code or NULL for success, outcome message)
 *   meta(chain id)
 *
 * The head is the highest stored block (height 0 and the chain id while empty), so a restart can
 * `Ledger.open(store, chain.head().hash)`. Appends are strict — height head + 1, prevHash the head's hash, this
 * chain, a final or empty block — and each is one SQLite transaction: a crash leaves the block whole or absent.
 * A certificate collected after its block was applied is attached with `setCertificate`; the store checks its
 * shape, not its signatures (the caller checks those against the manager set, as `Ledger.checkCertificate` does).
 */
import Database from 'better-sqlite3';
import { AmeError, bytesEqual, toHex } from '../crypto/index.ts';
import {
  type Block,
  type BlockHeader,
  type BlockResult,
  type Certificate,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  headerHash,
  txHash,
} from '../ledger/index.ts';
import { decodeCbor, encodeCbor, s, type CborValue } from '../wire/index.ts';

export type ChainStoreErrorCode =
  | 'BAD_HEIGHT' // an append whose height is not head + 1
  | 'BAD_PARENT' // an append whose prevHash is not the head's hash
  | 'WRONG_CHAIN' // a block, or a file, of another chain
  | 'BAD_BLOCK' // a block the store cannot keep: tentative, outcomes that do not match its transactions, a bad certificate shape
  | 'UNKNOWN_HEIGHT' // setCertificate on a height that is not stored
  | 'BAD_RANGE' // a range with from > to, or heights below 1
  | 'BAD_FILE' // a file of another format, or rows that do not decode
  | 'CLOSED'; // the store was closed

export class ChainStoreError extends AmeError {
  declare readonly code: ChainStoreErrorCode;

  constructor(code: ChainStoreErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Blocks a range read returns at most; the caller continues from the last height + 1. */
export const MAX_RANGE = 256;
const FORMAT_VERSION = 2;
const MAX_I64 = (1n << 63n) - 1n;

export interface ChainHead {
  readonly height: bigint;
  /** The head block's header hash; the chain id while no block is stored. */
  readonly hash: Uint8Array;
}

/** A block without its transactions: what lists and light clients need. */
export interface BlockSummary {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly header: BlockHeader;
  readonly certificate: Certificate;
  /** Consensus time of the block (header.time, ms). */
  readonly time: bigint;
  readonly txCount: number;
  /** The state store's version after the block (proofs of that state are taken at it); undefined when unknown. */
  readonly stateVersion: number | undefined;
}

export interface StoredBlock extends BlockSummary {
  /** `encodeBlock` of the block with its current certificate. */
  readonly bytes: Uint8Array;
}

export interface StoredTx {
  readonly hash: Uint8Array;
  readonly height: bigint;
  readonly index: number;
  /** The ledger's error code when the transaction failed (its fee was still charged); null when it succeeded. */
  readonly code: string | null;
  readonly message: string | null;
}

/** What append needs of the ledger's `BlockResult`. */
export type AppliedResult = Pick<BlockResult, 'outcomes'> & { readonly version?: number };

export interface ChainStoreOptions {
  /** The genesis id: the chain this file holds (fixed at creation, checked at every open). */
  readonly chainId: Uint8Array;
}

interface SummaryRow {
  height: bigint;
  hash: Buffer;
  header: Buffer;
  certificate: Buffer;
  time: bigint;
  tx_count: bigint;
  state_version: bigint | null;
}

interface BlockRow extends SummaryRow {
  block: Buffer;
}

interface TxRow {
  hash: Buffer;
  height: bigint;
  idx: bigint;
  code: string | null;
  message: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
  height INTEGER PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  header BLOB NOT NULL,
  block BLOB NOT NULL,
  certificate BLOB NOT NULL,
  time INTEGER NOT NULL,
  tx_count INTEGER NOT NULL,
  state_version INTEGER
);
CREATE TABLE IF NOT EXISTS txs (
  hash BLOB PRIMARY KEY,
  height INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  code TEXT,
  message TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS txs_by_block ON txs (height, idx);
`;

/** Certificate entries as member ‖ sig, 96 bytes each (a column that needs no schema to read back). */
/** Certificates of either kind (managers' Ed25519 entries, or recovery keys' ECDSA/Falcon ones) as CBOR. */
const certificateSchema = s.array(s.struct({ member: s.bytes({ min: 1, max: 4096 }), sig: s.bytes({ min: 1, max: 4096 }) }), { max: 1024 });

function packCertificate(certificate: Certificate): Buffer {
  try {
    return Buffer.from(encodeCbor(certificateSchema.parse(certificate.map((e) => ({ member: e.member, sig: e.sig })), 'certificate') as unknown as CborValue));
  } catch (cause) {
    throw new ChainStoreError('BAD_BLOCK', `the certificate cannot be stored: ${(cause as Error).message}`, { cause });
  }
}

function unpackCertificate(bytes: Uint8Array): Certificate {
  try {
    return certificateSchema.parse(decodeCbor(bytes, { maxSize: 16 << 20 }), 'stored certificate');
  } catch (cause) {
    throw new ChainStoreError('BAD_FILE', `a stored certificate does not decode: ${(cause as Error).message}`, { cause });
  }
}

function toSummary(row: SummaryRow): BlockSummary {
  try {
    return {
      height: row.height,
      hash: new Uint8Array(row.hash),
      header: decodeHeader(row.header),
      certificate: unpackCertificate(row.certificate),
      time: row.time,
      txCount: Number(row.tx_count),
      stateVersion: row.state_version === null ? undefined : Number(row.state_version),
    };
  } catch (cause) {
    if (cause instanceof ChainStoreError) throw cause;
    throw new ChainStoreError('BAD_FILE', `block ${row.height} does not decode: ${(cause as Error).message}`, { cause });
  }
}

function toBlock(row: BlockRow): StoredBlock {
  return { ...toSummary(row), bytes: new Uint8Array(row.block) };
}

function decodeStored(row: BlockRow): Block {
  try {
    return decodeBlock(row.block);
  } catch (cause) {
    throw new ChainStoreError('BAD_FILE', `block ${row.height} does not decode: ${(cause as Error).message}`, { cause });
  }
}

function toTx(row: TxRow): StoredTx {
  return { hash: new Uint8Array(row.hash), height: row.height, index: Number(row.idx), code: row.code, message: row.message };
}

export class ChainStore {
  readonly #db: Database.Database;
  readonly #chainId: Uint8Array;
  readonly #sql: ReturnType<typeof prepare>;
  #head: ChainHead;
  #closed = false;

  private constructor(db: Database.Database, chainId: Uint8Array) {
    this.#db = db;
    this.#chainId = Uint8Array.from(chainId);
    this.#sql = prepare(db);
    const top = this.#sql.head.get() as { height: bigint; hash: Buffer } | undefined;
    this.#head = top === undefined ? { height: 0n, hash: this.#chainId } : { height: top.height, hash: new Uint8Array(top.hash) };
  }

  /** Opens or creates the file at `path` for the chain `chainId`; WRONG_CHAIN when it holds another chain. */
  static open(path: string, options: ChainStoreOptions): ChainStore {
    if (options.chainId.length !== 32) throw new ChainStoreError('WRONG_CHAIN', 'a chain id is 32 bytes');
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('journal_size_limit = 67108864');
      db.defaultSafeIntegers(true);
      const format = Number(db.pragma('user_version', { simple: true }));
      if (format !== 0 && format !== FORMAT_VERSION) {
        throw new ChainStoreError('BAD_FILE', `${path} has chain-store format ${format}, this build reads ${FORMAT_VERSION}`);
      }
      db.transaction(() => {
        db.exec(SCHEMA);
        const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('chain') as { value: Buffer } | undefined;
        if (row === undefined) {
          db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('chain', Buffer.from(options.chainId));
        } else if (!bytesEqual(row.value, options.chainId)) {
          throw new ChainStoreError('WRONG_CHAIN', `${path} holds chain ${toHex(row.value)}, not ${toHex(options.chainId)}`);
        }
        db.pragma(`user_version = ${FORMAT_VERSION}`);
      })();
      return new ChainStore(db, options.chainId);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get chainId(): Uint8Array {
    return Uint8Array.from(this.#chainId);
  }

  head(): ChainHead {
    this.#check();
    return { height: this.#head.height, hash: Uint8Array.from(this.#head.hash) };
  }

  /**
   * Appends the next final (or empty) block with the outcomes of its transactions (`BlockResult` of
   * `Ledger.apply`) and the state version after it. One transaction: all rows, or none.
   */
  append(block: Block, result: AppliedResult): ChainHead {
    this.#check();
    const { header } = block;
    if (header.kind === 'tentative') throw new ChainStoreError('BAD_BLOCK', 'the chain store keeps final blocks only');
    if (!bytesEqual(header.chain, this.#chainId)) throw new ChainStoreError('WRONG_CHAIN', 'a block of another chain');
    const next = this.#head.height + 1n;
    if (header.height !== next) throw new ChainStoreError('BAD_HEIGHT', `expected height ${next}, got ${header.height}`);
    if (!bytesEqual(header.prevHash, this.#head.hash)) {
      throw new ChainStoreError('BAD_PARENT', `block ${header.height} does not extend the stored head ${toHex(this.#head.hash)}`);
    }
    if (header.time > MAX_I64) throw new ChainStoreError('BAD_BLOCK', 'block time out of range');
    const hashes = block.txs.map(txHash);
    if (result.outcomes.length !== hashes.length || result.outcomes.some((o, i) => !bytesEqual(o.hash, hashes[i]!))) {
      throw new ChainStoreError('BAD_BLOCK', `the outcomes do not match the ${hashes.length} transactions of block ${header.height}`);
    }
    const version = result.version;
    if (version !== undefined && (!Number.isSafeInteger(version) || version < 0)) {
      throw new ChainStoreError('BAD_BLOCK', 'a state version is a non-negative integer');
    }
    const hash = headerHash(header);
    const certificate = packCertificate(block.certificate);
    const bytes = encodeBlock(block);
    this.#db.transaction(() => {
      this.#sql.insertBlock.run(
        header.height,
        Buffer.from(hash),
        Buffer.from(encodeCbor(header as unknown as CborValue)),
        certificate,
        header.time,
        BigInt(block.txs.length),
        version === undefined ? null : BigInt(version),
        Buffer.from(bytes),
      );
      for (const [i, outcome] of result.outcomes.entries()) {
        const earlier = this.#sql.tx.get(Buffer.from(outcome.hash)) as TxRow | undefined;
        if (earlier !== undefined) {
          throw new ChainStoreError('BAD_BLOCK', `transaction ${toHex(outcome.hash)} is already in block ${earlier.height}`);
        }
        this.#sql.insertTx.run(
          Buffer.from(outcome.hash),
          header.height,
          BigInt(i),
          outcome.ok ? null : (outcome.code ?? 'FAILED'),
          outcome.ok ? null : (outcome.message ?? null),
        );
      }
    })();
    this.#head = { height: header.height, hash };
    return this.head();
  }

  /** Replaces the certificate of a stored block (collected after the block was applied). */
  setCertificate(height: bigint, certificate: Certificate): void {
    this.#check();
    const packed = packCertificate(certificate);
    this.#db.transaction(() => {
      const row = this.#row(height);
      if (row === undefined) throw new ChainStoreError('UNKNOWN_HEIGHT', `no block at height ${height}`);
      const block = decodeStored(row);
      const bytes = encodeBlock({ ...block, certificate });
      this.#sql.setCertificate.run(Buffer.from(bytes), packed, height);
    })();
  }

  block(height: bigint): StoredBlock | undefined {
    this.#check();
    const row = this.#row(height);
    return row === undefined ? undefined : toBlock(row);
  }

  blockByHash(hash: Uint8Array): StoredBlock | undefined {
    this.#check();
    if (hash.length !== 32) return undefined;
    const row = this.#sql.blockByHash.get(Buffer.from(hash)) as BlockRow | undefined;
    return row === undefined ? undefined : toBlock(row);
  }

  /** The stored blocks of heights from…to (both included), ascending, at most MAX_RANGE of them. */
  range(from: bigint, to: bigint): StoredBlock[] {
    const last = this.#last(from, to);
    return last === undefined ? [] : (this.#sql.range.all(from, last, BigInt(MAX_RANGE)) as BlockRow[]).map(toBlock);
  }

  /** Like range, without the transactions: headers, certificates, times and counts. */
  summaries(from: bigint, to: bigint): BlockSummary[] {
    const last = this.#last(from, to);
    return last === undefined ? [] : (this.#sql.summaries.all(from, last, BigInt(MAX_RANGE)) as SummaryRow[]).map(toSummary);
  }

  /** The transactions of a stored block with their outcomes, in block order (empty for an unknown height). */
  outcomes(height: bigint): StoredTx[] {
    this.#check();
    if (height < 1n || height > this.#head.height) return [];
    return (this.#sql.outcomes.all(height) as TxRow[]).map(toTx);
  }

  tx(hash: Uint8Array): StoredTx | undefined {
    this.#check();
    if (hash.length !== 32) return undefined;
    const row = this.#sql.tx.get(Buffer.from(hash)) as TxRow | undefined;
    return row === undefined ? undefined : toTx(row);
  }

  /** A small named value kept with the chain (e.g. consensus state to restore after a restart). */
  meta(key: string): Uint8Array | undefined {
    this.#check();
    if (key === 'chain') throw new ChainStoreError('BAD_BLOCK', 'the chain id is read with chainId');
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer } | undefined;
    return row === undefined ? undefined : new Uint8Array(row.value);
  }

  setMeta(key: string, value: Uint8Array): void {
    this.#check();
    if (key === 'chain') throw new ChainStoreError('BAD_BLOCK', 'the chain id is fixed');
    this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, Buffer.from(value));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** The last stored height of from…to (undefined when none is stored); BAD_RANGE for a range that is not one. */
  #last(from: bigint, to: bigint): bigint | undefined {
    this.#check();
    if (from < 1n || to < from) throw new ChainStoreError('BAD_RANGE', `bad range ${from}…${to}`);
    if (from > this.#head.height) return undefined;
    return to < this.#head.height ? to : this.#head.height;
  }

  #row(height: bigint): BlockRow | undefined {
    if (height < 1n || height > this.#head.height) return undefined;
    return this.#sql.block.get(height) as BlockRow | undefined;
  }

  #check(): void {
    if (this.#closed) throw new ChainStoreError('CLOSED', 'the chain store is closed');
  }
}

function prepare(db: Database.Database) {
  const summary = 'height, hash, header, certificate, time, tx_count, state_version';
  const columns = `${summary}, block`;
  return {
    head: db.prepare('SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1'),
    insertBlock: db.prepare(`INSERT INTO blocks (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    summaries: db.prepare(`SELECT ${summary} FROM blocks WHERE height >= ? AND height <= ? ORDER BY height LIMIT ?`),
    insertTx: db.prepare('INSERT INTO txs (hash, height, idx, code, message) VALUES (?, ?, ?, ?, ?)'),
    setCertificate: db.prepare('UPDATE blocks SET block = ?, certificate = ? WHERE height = ?'),
    block: db.prepare(`SELECT ${columns} FROM blocks WHERE height = ?`),
    blockByHash: db.prepare(`SELECT ${columns} FROM blocks WHERE hash = ?`),
    range: db.prepare(`SELECT ${columns} FROM blocks WHERE height >= ? AND height <= ? ORDER BY height LIMIT ?`),
    tx: db.prepare('SELECT hash, height, idx, code, message FROM txs WHERE hash = ?'),
    outcomes: db.prepare('SELECT hash, height, idx, code, message FROM txs WHERE height = ? ORDER BY idx'),
  };
}
