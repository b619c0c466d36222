/**
 * Blob rows in memory, for simulators and tests. The rows live in a MemoryBlobRows object the caller may keep:
 * a store opened again on the same rows sees what the last one wrote (the simulator's "restart"), and a test
 * can damage a row the way a bad disk would. Rows are copied in and out, so no caller's buffer aliases them.
 */
import { addressHex } from './address.ts';
import type { BlobBackend } from './backend.ts';
import { BlobError } from './errors.ts';
import { LocalBlobStore, type LocalBlobStoreOptions } from './local-store.ts';

export interface MemoryBlobRow {
  readonly address: Uint8Array;
  readonly size: number;
  readonly manifest: Uint8Array;
  /** Chunk index → bytes. */
  readonly chunks: Map<number, Uint8Array>;
}

/** The rows of a memory store, keyed by hex address. */
export class MemoryBlobRows {
  readonly blobs = new Map<string, MemoryBlobRow>();
}

export class MemoryBlobBackend implements BlobBackend {
  readonly rows: MemoryBlobRows;
  /** Inverse operations of the writes of the running atomically(), newest last. */
  #undo: (() => void)[] | undefined;

  constructor(rows = new MemoryBlobRows()) {
    this.rows = rows;
  }

  readManifest(address: Uint8Array): Uint8Array | undefined {
    return this.rows.blobs.get(addressHex(address))?.manifest.slice();
  }

  writeManifest(address: Uint8Array, encoded: Uint8Array, size: number): void {
    const key = addressHex(address);
    const row = this.rows.blobs.get(key);
    this.#setRow(key, {
      address: address.slice(),
      size,
      manifest: encoded.slice(),
      chunks: row?.chunks ?? new Map(),
    });
  }

  readChunk(address: Uint8Array, index: number): Uint8Array | undefined {
    return this.rows.blobs.get(addressHex(address))?.chunks.get(index)?.slice();
  }

  writeChunk(address: Uint8Array, index: number, data: Uint8Array): void {
    const chunks = this.rows.blobs.get(addressHex(address))?.chunks;
    // The store writes a manifest before its chunks; a chunk without one has no row to live in.
    if (chunks === undefined) throw new BlobError('NOT_FOUND', 'chunk written before its manifest');
    const before = chunks.get(index);
    chunks.set(index, data.slice());
    this.#record(() => (before === undefined ? chunks.delete(index) : chunks.set(index, before)));
  }

  chunkIndices(address: Uint8Array): number[] {
    return [...(this.rows.blobs.get(addressHex(address))?.chunks.keys() ?? [])].sort((a, b) => a - b);
  }

  deleteBlob(address: Uint8Array): number | undefined {
    const key = addressHex(address);
    const row = this.rows.blobs.get(key);
    this.#setRow(key, undefined);
    return row?.size;
  }

  deleteChunks(address: Uint8Array): void {
    const chunks = this.rows.blobs.get(addressHex(address))?.chunks;
    if (chunks === undefined) return;
    const before = new Map(chunks);
    chunks.clear();
    this.#record(() => before.forEach((data, index) => chunks.set(index, data)));
  }

  list(after: Uint8Array | undefined, limit: number): Uint8Array[] {
    // Lowercase hex of equal-length keys sorts as the bytes do.
    const from = after === undefined ? undefined : addressHex(after);
    return [...this.rows.blobs.keys()]
      .filter((key) => from === undefined || key > from)
      .sort()
      .slice(0, limit)
      .map((key) => (this.rows.blobs.get(key) as MemoryBlobRow).address.slice());
  }

  totals(): { readonly bytes: number; readonly blobs: number } {
    let bytes = 0;
    for (const row of this.rows.blobs.values()) bytes += row.size;
    return { bytes, blobs: this.rows.blobs.size };
  }

  /** Nothing to sync in memory: the writes inside keep their own atomicity. */
  group(fn: () => void): void {
    fn();
  }

  /** Undoes every row change `fn` made when it throws, as a transaction would. */
  atomically(fn: () => void): void {
    if (this.#undo !== undefined) throw new BlobError('MALFORMED', 'nested memory transaction');
    const undo: (() => void)[] = [];
    this.#undo = undo;
    try {
      fn();
    } catch (error) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw error;
    } finally {
      this.#undo = undefined;
    }
  }

  close(): void {}

  #setRow(key: string, row: MemoryBlobRow | undefined): void {
    const before = this.rows.blobs.get(key);
    if (row === undefined) this.rows.blobs.delete(key);
    else this.rows.blobs.set(key, row);
    this.#record(() => (before === undefined ? this.rows.blobs.delete(key) : this.rows.blobs.set(key, before)));
  }

  #record(inverse: () => void): void {
    this.#undo?.push(inverse);
  }
}

/** A blob store in memory; pass the rows of an earlier one to see what it held. */
export function openMemoryBlobStore(
  options: LocalBlobStoreOptions & { readonly rows?: MemoryBlobRows } = {},
): LocalBlobStore {
  const { rows, ...rest } = options;
  return new LocalBlobStore(new MemoryBlobBackend(rows), rest);
}
