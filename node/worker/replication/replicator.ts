/**
 * Copies every blob a worker holds onto the Worker Ring and reads back the ones it does not hold (SPEC §6: blobs
 * live on the Unity's servers and its temporary workers). A client's put is acknowledged once the worker holds
 * it durably; the parts reach the ring in the background, in the order stored, retried with backoff while the
 * ring cannot take them. What is due is derived from the blob store and the marks (marks.ts), so a restart
 * resumes where the last run stopped. A graceful exit hands the data over by putting every held part again and
 * waiting for the ring's acknowledgements (handOver).
 */
import type { Logger } from 'pino';
import { toHex } from '../../crypto/index.ts';
import type { Clock, ClockTimer } from '../../net/index.ts';
import {
  type BlobPart,
  type BlobStore,
  checkBlobPart,
  chunkPart,
  chunkPartKey,
  encodeBlobPart,
  type Manifest,
  manifestPart,
  manifestPartKey,
  partKey,
} from '../../services/blobs/index.ts';
import { MANIFEST_PART, type ReplicationMarks } from './marks.ts';
import type { PartStore } from './part-store.ts';

export interface ReplicatorOptions {
  readonly blobs: BlobStore;
  readonly ring: PartStore;
  readonly marks: ReplicationMarks;
  readonly clock: Clock;
  /** First wait after a failed pass, doubled up to maxRetryMs; default 1 s. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Parts of one blob in flight at once; default 4. */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

export interface ReplicationStatus {
  /** Blobs with parts not yet on the ring. */
  readonly pending: number;
  /** Parts put since start. */
  readonly put: number;
  /** Parts read back from the ring since start. */
  readonly fetched: number;
  readonly failures: number;
  readonly lastError?: string;
}

export interface FetchedChunk {
  readonly manifest: Manifest;
  readonly chunk: Uint8Array;
}

export class Replicator {
  readonly #o: ReplicatorOptions;
  /** Addresses due, by hex, in the order they became due. */
  readonly #queue = new Map<string, Uint8Array>();
  readonly #idle: (() => void)[] = [];
  #running = false;
  #timer: ClockTimer | undefined;
  #retryMs: number;
  #stopped = false;
  #put = 0;
  #fetched = 0;
  #failures = 0;
  #lastError: string | undefined;

  constructor(options: ReplicatorOptions) {
    this.#o = options;
    this.#retryMs = options.retryMs ?? 1_000;
  }

  /** Queues every held blob (those fully on the ring cost one read of their marks) and starts copying. */
  start(): void {
    this.#queueAll();
    this.#pump();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A chunk of `address` is now held here (durably): copy what the ring lacks. */
  stored(address: Uint8Array): void {
    this.#queue.set(toHex(address), address);
    this.#pump();
  }

  /**
   * Chunk `index` of `address` from the ring, checked against the address (the ring's replicas check too, but a
   * reader trusts nobody); undefined when the ring holds no manifest or no such chunk.
   */
  async fetch(address: Uint8Array, index: number): Promise<FetchedChunk | undefined> {
    const manifest = await this.#part(manifestPartKey(address));
    if (manifest?.kind !== 'manifest' || !Number.isSafeInteger(index) || index < 0 || index >= manifest.manifest.chunkRoots.length) {
      return undefined;
    }
    const chunk = await this.#part(chunkPartKey(address, index));
    // The address does not fix the chunking: parts of one blob stored with another chunk size share its keys, and
    // the ring keeps the first. A chunk of the other chunking does not fit this manifest.
    if (chunk?.kind !== 'chunk' || chunk.index !== index || chunk.chunkSize !== manifest.manifest.chunkSize) return undefined;
    this.#fetched += 2;
    return { manifest: manifest.manifest, chunk: chunk.chunk };
  }

  /** Chunk `index` of `address` was read from the ring and is now held here: it need not be put back. */
  cached(address: Uint8Array, index: number): void {
    this.#o.marks.mark(address, [MANIFEST_PART, index]);
  }

  /**
   * Hands this worker's data to the ring before it leaves: every held part is put again (a replica may have been
   * lost since the first put) and the promise resolves once the ring acknowledged them all. It keeps retrying
   * while the ring refuses; stop() ends it without resolving.
   */
  handOver(): Promise<void> {
    this.#o.marks.clear();
    this.#queueAll();
    const done = this.idle();
    this.#retryNow();
    return done;
  }

  /** Resolves once nothing is due. */
  idle(): Promise<void> {
    if (this.#queue.size === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  status(): ReplicationStatus {
    return {
      pending: this.#queue.size,
      put: this.#put,
      fetched: this.#fetched,
      failures: this.#failures,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  #queueAll(): void {
    let after: Uint8Array | undefined;
    for (;;) {
      const page = this.#o.blobs.list(after === undefined ? {} : { after });
      for (const address of page) this.#queue.set(toHex(address), address);
      if (page.length === 0) break;
      after = page[page.length - 1];
    }
  }

  #retryNow(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pump();
  }

  /** One pass over the queue at a time; a failure stops the pass and schedules the next. */
  #pump(): void {
    if (this.#running || this.#stopped || this.#timer !== undefined) return;
    this.#running = true;
    void this.#pass().finally(() => {
      this.#running = false;
      if (this.#queue.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
      else if (this.#timer === undefined && !this.#stopped) this.#pump();
    });
  }

  async #pass(): Promise<void> {
    while (!this.#stopped) {
      const next = this.#queue.entries().next();
      if (next.done === true) return;
      const [hex, address] = next.value;
      try {
        await this.#replicate(address);
        // Stored again while we worked: a new chunk may have come in, so it goes round once more.
        if (this.#queue.get(hex) === address) this.#queue.delete(hex);
        this.#retryMs = this.#o.retryMs ?? 1_000;
      } catch (error) {
        if (this.#stopped) return;
        this.#failures += 1;
        this.#lastError = (error as Error).message;
        this.#o.logger?.warn({ address: hex, err: error, retryMs: this.#retryMs }, 'blob replication failed; retrying');
        // To the back of the queue: one blob the ring refuses does not hold up the others for ever.
        this.#queue.delete(hex);
        this.#queue.set(hex, address);
        this.#timer = this.#o.clock.setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, this.#retryMs);
        this.#retryMs = Math.min(this.#retryMs * 2, this.#o.maxRetryMs ?? 60_000);
        return;
      }
    }
  }

  async #replicate(address: Uint8Array): Promise<void> {
    const { blobs, marks } = this.#o;
    const manifest = blobs.manifest(address);
    if (manifest === undefined) return; // deleted since it was queued
    const marked = marks.marked(address);
    const missing = new Set(blobs.missingChunks(address));
    const due: number[] = [];
    if (!marked.has(MANIFEST_PART)) due.push(MANIFEST_PART);
    for (let i = 0; i < manifest.chunkRoots.length; i++) if (!missing.has(i) && !marked.has(i)) due.push(i);
    // The manifest first: a reader that finds a chunk part on the ring also finds the manifest it needs.
    if (due[0] === MANIFEST_PART) await this.#putPart(address, MANIFEST_PART, manifestPart(address, manifest));
    const chunks = due.filter((p) => p !== MANIFEST_PART);
    const width = this.#o.concurrency ?? 4;
    for (let at = 0; at < chunks.length; at += width) {
      await Promise.all(
        chunks.slice(at, at + width).map((i) => this.#putPart(address, i, chunkPart(address, manifest, i, blobs.getChunk(address, i)))),
      );
    }
  }

  async #putPart(address: Uint8Array, number: number, part: BlobPart): Promise<void> {
    await this.#o.ring.put(partKey(part), encodeBlobPart(part));
    this.#o.marks.mark(address, [number]);
    this.#put += 1;
  }

  async #part(key: Uint8Array): Promise<BlobPart | undefined> {
    const bytes = await this.#o.ring.get(key);
    return bytes === undefined ? undefined : checkBlobPart(key, bytes);
  }
}
