/**
 * What a worker's blob storage offers the services above it (serving clients, replicating to siblings, answering
 * audits). Two implementations share one logic (local-store.ts) over two backends: SQLite for real nodes
 * (sqlite-backend.ts) and memory for simulators and tests (memory-backend.ts).
 *
 * Rules common to both:
 * - Nothing enters unchecked: a manifest must lead to the address it is stored under, and every chunk must match
 *   its root in the manifest (HASH_MISMATCH otherwise). Reads check chunks again, so a damaged row is reported
 *   (CORRUPT) instead of being served or used to answer an audit.
 * - A write returns once it is durable (SQLite: WAL with synchronous FULL; one put is one transaction).
 * - The quota counts the declared size of every blob held, complete or not, so a blob whose chunks are still
 *   arriving cannot take the store past it halfway.
 * - An address is held with one manifest: the first accepted. Since the address does not depend on the chunk
 *   size, another manifest for the same address can only differ in its chunking; putManifest keeps the held one,
 *   while put (the whole blob, checked) replaces an incomplete copy.
 */
import type { Manifest } from './manifest.ts';
import type { CheckedUpload } from './upload.ts';

/** A chunk as a server answers a read of it: checked, with its blob's manifest decoded and as stored. */
export interface ServedChunk {
  readonly manifest: Manifest;
  /** The manifest's canonical encoding, as held: what a reply carries, without encoding it again. */
  readonly encodedManifest: Uint8Array;
  readonly chunk: Uint8Array;
}

export interface StoreUsage {
  /** Declared sizes of all blobs held, complete or not. */
  readonly usedBytes: number;
  readonly quotaBytes: number;
  readonly blobs: number;
}

export interface ListOptions {
  /** Only addresses after this one in byte order: the cursor of the previous page. */
  readonly after?: Uint8Array;
  /** Page size; default and maximum LIST_LIMIT. */
  readonly limit?: number;
}

export const LIST_LIMIT = 1000;

/** Largest getRange answer; larger reads go range by range. */
export const MAX_RANGE_BYTES = 64 * 1024 * 1024;

export interface IntegrityProblem {
  readonly address: Uint8Array;
  /** The damaged chunk; absent when the manifest row itself is damaged. */
  readonly chunk?: number;
  readonly reason: string;
}

export interface IntegrityReport {
  readonly blobs: number;
  readonly chunks: number;
  readonly problems: readonly IntegrityProblem[];
}

export interface BlobStore {
  /**
   * Stores a whole blob in one durable write; checks everything first (MALFORMED, HASH_MISMATCH, QUOTA). A no-op
   * when the blob is already held complete (a damaged chunk row is repaired with putChunk, see checkIntegrity).
   */
  put(address: Uint8Array, manifest: Manifest, chunks: readonly Uint8Array[]): void;
  /** Runs `fn`, whose writes (each all-or-nothing on its own) become durable together: one sync for the group. */
  group(fn: () => void): void;
  /** Starts holding a blob whose chunks come later (a fetch, a hand-over); no-op when the address is held. */
  putManifest(address: Uint8Array, manifest: Manifest): void;
  /**
   * Keeps a checked upload (CheckedUpload.check): its manifest when the address is not held yet (QUOTA), and its
   * chunk; returns whether the blob was held complete before. The chunk is not hashed again unless the address is
   * held with a manifest of another chunking, which it is then checked against. Idempotent.
   */
  putUpload(upload: CheckedUpload): boolean;
  /** Adds one chunk of a blob whose manifest is held (NOT_FOUND otherwise); idempotent. */
  putChunk(address: Uint8Array, index: number, data: Uint8Array): void;
  manifest(address: Uint8Array): Manifest | undefined;
  /** True when the manifest and every chunk are held. */
  has(address: Uint8Array): boolean;
  /** Indices of the chunks still to fetch (NOT_FOUND when the blob is not held at all). */
  missingChunks(address: Uint8Array): number[];
  /** A checked chunk: NOT_FOUND, BAD_RANGE, or CORRUPT when the stored bytes no longer match. */
  getChunk(address: Uint8Array, index: number): Uint8Array;
  /** getChunk() and the blob's manifest, reading the manifest once: what a server answers a read with. */
  servedChunk(address: Uint8Array, index: number): ServedChunk;
  /** `length` bytes from `offset`, assembled from checked chunks (BAD_RANGE outside the blob). */
  getRange(address: Uint8Array, offset: number, length: number): Uint8Array;
  /** Drops the blob and its chunks; false when it was not held. */
  delete(address: Uint8Array): boolean;
  usage(): StoreUsage;
  /** Held addresses in byte order, one page at a time: what a leaving server hands its siblings. */
  list(options?: ListOptions): Uint8Array[];
  /** Re-checks every stored manifest and chunk; reports, does not repair. */
  checkIntegrity(): IntegrityReport;
  close(): void;
}
