/**
 * Turning bytes into a blob: chunks, their roots, the manifest and the content address. `buildBlob` takes the
 * whole content at once; `BlobBuilder` takes it in pieces of any size and holds at most one chunk, so a large
 * file is addressed without being read into memory (its chunks go wherever `push` hands them, e.g. to a store
 * or a staging file, and are sent once the manifest exists).
 */
import { chunkRoot } from './chunk.ts';
import { BlobError } from './errors.ts';
import { assertChunkSize, DEFAULT_CHUNK_SIZE, maxBlobSize } from './format.ts';
import { manifestAddress, type Manifest } from './manifest.ts';

export interface BuiltChunk {
  readonly index: number;
  readonly data: Uint8Array;
}

export interface BuiltBlob {
  readonly address: Uint8Array;
  readonly manifest: Manifest;
}

export interface BuiltBlobWithChunks extends BuiltBlob {
  readonly chunks: readonly Uint8Array[];
}

export class BlobBuilder {
  readonly chunkSize: number;
  readonly #max: number;
  readonly #roots: Uint8Array[] = [];
  /**
   * The chunk being filled. It grows as bytes come, up to a chunk: a small blob (most messages' attachments, a
   * 4 KiB put) does not pay for zeroing a whole 256 KiB chunk.
   */
  #buffer = new Uint8Array(0);
  #filled = 0;
  #size = 0;
  #finished = false;

  constructor(chunkSize = DEFAULT_CHUNK_SIZE) {
    assertChunkSize(chunkSize);
    this.chunkSize = chunkSize;
    this.#max = maxBlobSize(chunkSize);
  }

  /** Bytes taken so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends `bytes`; returns the chunks it completed (copies the caller may keep). TOO_LARGE past the limit. */
  push(bytes: Uint8Array): BuiltChunk[] {
    if (this.#finished) throw new BlobError('MALFORMED', 'blob builder already finished');
    if (this.#size + bytes.length > this.#max) {
      throw new BlobError('TOO_LARGE', `blob exceeds ${this.#max} bytes (chunk size ${this.chunkSize})`);
    }
    const done: BuiltChunk[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const take = Math.min(this.chunkSize - this.#filled, bytes.length - offset);
      this.#reserve(this.#filled + take);
      this.#buffer.set(bytes.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.chunkSize) done.push(this.#seal());
    }
    this.#size += bytes.length;
    return done;
  }

  /** Ends the blob: the last (short) chunk if there is one, the manifest and the address. */
  finish(): BuiltBlob & { readonly last: BuiltChunk | undefined } {
    if (this.#finished) throw new BlobError('MALFORMED', 'blob builder already finished');
    const last = this.#filled > 0 ? this.#seal() : undefined;
    this.#finished = true;
    const manifest: Manifest = { size: this.#size, chunkSize: this.chunkSize, chunkRoots: [...this.#roots] };
    return { address: manifestAddress(manifest), manifest, last };
  }

  /** Room for `bytes` bytes of the current chunk (at most a chunk), keeping what it holds. */
  #reserve(bytes: number): void {
    if (this.#buffer.length >= bytes) return;
    const grown = new Uint8Array(Math.min(this.chunkSize, Math.max(bytes, 2 * this.#buffer.length)));
    grown.set(this.#buffer.subarray(0, this.#filled));
    this.#buffer = grown;
  }

  #seal(): BuiltChunk {
    const data = this.#buffer.slice(0, this.#filled);
    this.#roots.push(chunkRoot(data));
    this.#filled = 0;
    return { index: this.#roots.length - 1, data };
  }
}

/** The whole blob from bytes in memory. */
export function buildBlob(bytes: Uint8Array, chunkSize = DEFAULT_CHUNK_SIZE): BuiltBlobWithChunks {
  const builder = new BlobBuilder(chunkSize);
  const chunks = builder.push(bytes).map((chunk) => chunk.data);
  const { address, manifest, last } = builder.finish();
  if (last !== undefined) chunks.push(last.data);
  return { address, manifest, chunks };
}

/**
 * Addresses a stream of pieces (a file read stream, an upload), handing each chunk to `onChunk` as soon as it is
 * complete and awaiting it, so a slow consumer slows the reader instead of growing a buffer.
 */
export async function buildBlobFromStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  onChunk: (chunk: BuiltChunk) => void | Promise<void>,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Promise<BuiltBlob> {
  const builder = new BlobBuilder(chunkSize);
  for await (const piece of source) {
    for (const chunk of builder.push(piece)) await onChunk(chunk);
  }
  const { address, manifest, last } = builder.finish();
  if (last !== undefined) await onChunk(last);
  return { address, manifest };
}
