/**
 * The primitive storage a LocalBlobStore runs on: rows in, rows out, no checks. Keeping the checks out of the
 * backends is what makes the SQLite and memory stores behave alike: they share every rule, and the shared test
 * suite only has to catch differences in storing.
 */
export interface BlobBackend {
  readManifest(address: Uint8Array): Uint8Array | undefined;
  /** Inserts or replaces the manifest row; `size` is the blob's declared size, for the quota. */
  writeManifest(address: Uint8Array, encoded: Uint8Array, size: number): void;
  readChunk(address: Uint8Array, index: number): Uint8Array | undefined;
  writeChunk(address: Uint8Array, index: number, data: Uint8Array): void;
  /** Indices of the chunks held for `address`, ascending. */
  chunkIndices(address: Uint8Array): number[];
  /** Removes the manifest and all chunks of `address`; the declared size it had, undefined when not held. */
  deleteBlob(address: Uint8Array): number | undefined;
  /** Removes the chunks of `address` only (before its manifest is replaced). */
  deleteChunks(address: Uint8Array): void;
  /** Addresses with a manifest, ascending in byte order, after `after`, at most `limit`. */
  list(after: Uint8Array | undefined, limit: number): Uint8Array[];
  /** Sum of the declared sizes, and the count, of all manifests held. */
  totals(): { readonly bytes: number; readonly blobs: number };
  /** Runs `fn` as one all-or-nothing, durable write. */
  atomically(fn: () => void): void;
  /**
   * Runs `fn`, whose writes (each still all-or-nothing on its own) reach disk together: one sync for a group of
   * puts (a worker's group commit).
   */
  group(fn: () => void): void;
  close(): void;
}
