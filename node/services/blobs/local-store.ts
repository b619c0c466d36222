/**
 * The rules of a blob store (see store.ts), over any BlobBackend. Every check happens here, before the backend
 * is touched, so a refused write leaves nothing behind.
 */
import { bytesEqual } from '../../crypto/index.ts';
import { ADDRESS_LENGTH } from './address.ts';
import type { BlobBackend } from './backend.ts';
import { verifyChunk } from './chunk.ts';
import { BlobError } from './errors.ts';
import { decodeManifest, encodeManifest, manifestAddress, verifyManifest, type Manifest } from './manifest.ts';
import {
  LIST_LIMIT,
  MAX_RANGE_BYTES,
  type BlobStore,
  type IntegrityProblem,
  type IntegrityReport,
  type ListOptions,
  type ServedChunk,
  type StoreUsage,
} from './store.ts';
import type { CheckedUpload } from './upload.ts';

export interface LocalBlobStoreOptions {
  /** Bytes of declared blob size the store may hold; unlimited by default. */
  readonly quotaBytes?: number;
}

function checkAddress(address: Uint8Array): void {
  if (!(address instanceof Uint8Array) || address.length !== ADDRESS_LENGTH) {
    throw new BlobError('MALFORMED', `a blob address is ${ADDRESS_LENGTH} bytes`);
  }
}

function isIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export class LocalBlobStore implements BlobStore {
  readonly #backend: BlobBackend;
  readonly #quota: number;
  #used: number;
  #blobs: number;
  #closed = false;

  constructor(backend: BlobBackend, options: LocalBlobStoreOptions = {}) {
    const quota = options.quotaBytes ?? Number.MAX_SAFE_INTEGER;
    if (!isIndex(quota)) throw new BlobError('MALFORMED', `quota ${quota} is not a byte count`);
    this.#backend = backend;
    this.#quota = quota;
    const totals = backend.totals();
    this.#used = totals.bytes;
    this.#blobs = totals.blobs;
  }

  put(address: Uint8Array, manifest: Manifest, chunks: readonly Uint8Array[]): void {
    this.#open();
    checkAddress(address);
    verifyManifest(manifest, address);
    if (chunks.length !== manifest.chunkRoots.length) {
      throw new BlobError('MALFORMED', `${chunks.length} chunks given, the manifest lists ${manifest.chunkRoots.length}`);
    }
    for (const [i, chunk] of chunks.entries()) verifyChunk(manifest, i, chunk);
    const encoded = encodeManifest(manifest);
    const held = this.#backend.readManifest(address);
    if (held !== undefined && this.#complete(address, held)) return;
    if (held === undefined) this.#reserve(manifest.size);
    this.#backend.atomically(() => {
      // The held copy (if any) is incomplete or its manifest row is damaged: the checked whole blob replaces it,
      // and chunk rows of another chunking would not fit the new manifest's indices.
      if (held !== undefined && !bytesEqual(held, encoded)) this.#backend.deleteChunks(address);
      this.#backend.writeManifest(address, encoded, manifest.size);
      for (const [i, chunk] of chunks.entries()) this.#backend.writeChunk(address, i, chunk);
    });
    if (held === undefined) this.#count(manifest.size);
  }

  putManifest(address: Uint8Array, manifest: Manifest): void {
    this.#open();
    checkAddress(address);
    verifyManifest(manifest, address);
    if (this.#backend.readManifest(address) !== undefined) return;
    this.#reserve(manifest.size);
    const encoded = encodeManifest(manifest);
    this.#backend.atomically(() => this.#backend.writeManifest(address, encoded, manifest.size));
    this.#count(manifest.size);
  }

  putUpload(upload: CheckedUpload): boolean {
    this.#open();
    const { address, manifest, encodedManifest, index, chunk } = upload;
    const held = this.#backend.readManifest(address);
    if (held === undefined) {
      this.#reserve(manifest.size);
      this.#backend.atomically(() => {
        this.#backend.writeManifest(address, encodedManifest, manifest.size);
        this.#backend.writeChunk(address, index, chunk);
      });
      this.#count(manifest.size);
      return false;
    }
    // The first manifest accepted for an address stays; one of another chunking gives the index another meaning.
    const kept = bytesEqual(held, encodedManifest) ? manifest : this.#decodeHeld(held);
    if (kept !== manifest) verifyChunk(kept, index, chunk);
    const complete = this.#missing(address, kept).length === 0;
    // Written even when a row exists: that row may be the damaged one this copy repairs.
    this.#backend.atomically(() => this.#backend.writeChunk(address, index, chunk));
    return complete;
  }

  putChunk(address: Uint8Array, index: number, data: Uint8Array): void {
    const manifest = this.#require(address);
    verifyChunk(manifest, index, data);
    // Written even when a row exists: that row may be the damaged one a sibling's copy is repairing.
    this.#backend.atomically(() => this.#backend.writeChunk(address, index, data));
  }

  manifest(address: Uint8Array): Manifest | undefined {
    this.#open();
    checkAddress(address);
    return this.#held(address);
  }

  has(address: Uint8Array): boolean {
    this.#open();
    checkAddress(address);
    const manifest = this.#held(address);
    return manifest !== undefined && this.#missing(address, manifest).length === 0;
  }

  missingChunks(address: Uint8Array): number[] {
    return this.#missing(address, this.#require(address));
  }

  getChunk(address: Uint8Array, index: number): Uint8Array {
    return this.#chunk(address, this.#require(address), index);
  }

  servedChunk(address: Uint8Array, index: number): ServedChunk {
    this.#open();
    checkAddress(address);
    const encodedManifest = this.#backend.readManifest(address);
    if (encodedManifest === undefined) throw new BlobError('NOT_FOUND', 'blob is not held');
    const manifest = this.#decodeHeld(encodedManifest);
    return { manifest, encodedManifest, chunk: this.#chunk(address, manifest, index) };
  }

  getRange(address: Uint8Array, offset: number, length: number): Uint8Array {
    const manifest = this.#require(address);
    if (!isIndex(offset) || !isIndex(length) || offset + length > manifest.size) {
      throw new BlobError('BAD_RANGE', `range ${offset}+${length} is outside the blob's ${manifest.size} bytes`);
    }
    if (length > MAX_RANGE_BYTES) throw new BlobError('TOO_LARGE', `a range is at most ${MAX_RANGE_BYTES} bytes`);
    const out = new Uint8Array(length);
    let written = 0;
    while (written < length) {
      const at = offset + written;
      const index = Math.floor(at / manifest.chunkSize);
      const chunk = this.#chunk(address, manifest, index);
      const from = at - index * manifest.chunkSize;
      const piece = chunk.subarray(from, Math.min(chunk.length, from + length - written));
      out.set(piece, written);
      written += piece.length;
    }
    return out;
  }

  delete(address: Uint8Array): boolean {
    this.#open();
    checkAddress(address);
    let removed: number | undefined;
    this.#backend.atomically(() => {
      removed = this.#backend.deleteBlob(address);
    });
    if (removed === undefined) return false;
    this.#used -= removed;
    this.#blobs -= 1;
    return true;
  }

  usage(): StoreUsage {
    this.#open();
    return { usedBytes: this.#used, quotaBytes: this.#quota, blobs: this.#blobs };
  }

  list(options: ListOptions = {}): Uint8Array[] {
    this.#open();
    const limit = options.limit ?? LIST_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > LIST_LIMIT) {
      throw new BlobError('MALFORMED', `a list page holds 1…${LIST_LIMIT} addresses`);
    }
    if (options.after !== undefined) checkAddress(options.after);
    return this.#backend.list(options.after, limit);
  }

  checkIntegrity(): IntegrityReport {
    this.#open();
    const problems: IntegrityProblem[] = [];
    let blobs = 0;
    let chunks = 0;
    let after: Uint8Array | undefined;
    for (let page = this.#backend.list(after, LIST_LIMIT); page.length > 0; page = this.#backend.list(after, LIST_LIMIT)) {
      for (const address of page) {
        blobs += 1;
        chunks += this.#checkBlob(address, problems);
      }
      after = page[page.length - 1];
    }
    return { blobs, chunks, problems };
  }

  /**
   * Runs `fn` with its puts syncing together. A put that fails inside is undone alone (a savepoint); should the
   * group's own commit fail, its puts are gone while their quota stays counted until the store is reopened — it
   * errs on the side of refusing, never of exceeding the quota.
   */
  group(fn: () => void): void {
    this.#open();
    this.#backend.group(fn);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#backend.close();
  }

  /** Checks one blob's rows, appending what is wrong; returns the number of chunk rows looked at. */
  #checkBlob(address: Uint8Array, problems: IntegrityProblem[]): number {
    let manifest: Manifest;
    try {
      manifest = decodeManifest(this.#backend.readManifest(address) ?? new Uint8Array());
    } catch (error) {
      problems.push({ address, reason: `manifest does not decode: ${(error as Error).message}` });
      return 0;
    }
    if (!bytesEqual(manifestAddress(manifest), address)) {
      problems.push({ address, reason: 'manifest does not lead to its address' });
      return 0;
    }
    const indices = this.#backend.chunkIndices(address);
    for (const index of indices) {
      try {
        verifyChunk(manifest, index, this.#backend.readChunk(address, index) ?? new Uint8Array());
      } catch (error) {
        problems.push({ address, chunk: index, reason: (error as Error).message });
      }
    }
    return indices.length;
  }

  #chunk(address: Uint8Array, manifest: Manifest, index: number): Uint8Array {
    if (!isIndex(index) || index >= manifest.chunkRoots.length) {
      throw new BlobError('BAD_RANGE', `chunk ${index} is outside the blob's ${manifest.chunkRoots.length} chunks`);
    }
    const data = this.#backend.readChunk(address, index);
    if (data === undefined) throw new BlobError('NOT_FOUND', `chunk ${index} of the blob is not held`);
    try {
      verifyChunk(manifest, index, data);
    } catch (error) {
      throw new BlobError('CORRUPT', `stored chunk ${index} is damaged`, { cause: error });
    }
    return data;
  }

  /**
   * Whether a held copy needs nothing more: its manifest row decodes, leads to the address, and every chunk row
   * is there. Costs a tree over the chunk roots, small beside the chunks a put has just checked.
   */
  #complete(address: Uint8Array, held: Uint8Array): boolean {
    let manifest: Manifest;
    try {
      manifest = decodeManifest(held);
    } catch {
      return false;
    }
    return bytesEqual(manifestAddress(manifest), address) && this.#missing(address, manifest).length === 0;
  }

  #missing(address: Uint8Array, manifest: Manifest): number[] {
    const held = new Set(this.#backend.chunkIndices(address));
    const missing: number[] = [];
    for (let i = 0; i < manifest.chunkRoots.length; i++) if (!held.has(i)) missing.push(i);
    return missing;
  }

  #held(address: Uint8Array): Manifest | undefined {
    const encoded = this.#backend.readManifest(address);
    return encoded === undefined ? undefined : this.#decodeHeld(encoded);
  }

  #decodeHeld(encoded: Uint8Array): Manifest {
    try {
      return decodeManifest(encoded);
    } catch (error) {
      throw new BlobError('CORRUPT', 'stored manifest does not decode', { cause: error });
    }
  }

  #require(address: Uint8Array): Manifest {
    this.#open();
    checkAddress(address);
    const manifest = this.#held(address);
    if (manifest === undefined) throw new BlobError('NOT_FOUND', 'blob is not held');
    return manifest;
  }

  #reserve(size: number): void {
    if (this.#used + size > this.#quota) {
      throw new BlobError('QUOTA', `${size} more bytes would pass the quota (${this.#used} of ${this.#quota} used)`);
    }
  }

  #count(size: number): void {
    this.#used += size;
    this.#blobs += 1;
  }

  #open(): void {
    if (this.#closed) throw new BlobError('CLOSED', 'blob store is closed');
  }
}

