/**
 * The outgoing side of one RLDP stream: a queue of frames and chunked messages, sent in order except that chunked
 * messages take turns frame by frame (so one large transfer delays a small request by one frame at most). Small
 * frames queued together go out joined, in one stream.send(); a send that returns false waits for 'drain'.
 *
 * The queue itself accepts everything; callers that must respect its bound ask hasSpace() first and are called
 * back through onSpace when bytes leave.
 */
import { concatBytes } from '../../crypto/hash.ts';
import type { FrameSource } from './chunker.ts';
import { fitsBudget } from './limits.ts';

/** The part of a libp2p v3 stream the writer uses. */
export interface SendableStream {
  send(data: Uint8Array): boolean;
  onDrain(): Promise<void>;
  readonly writableNeedsDrain: boolean;
  readonly writeBufferLength: number;
}

export interface WriterEvents {
  /** Bytes left the queue: waiting requests may now fit. */
  onSpace(): void;
  /** The queue is empty and nothing is being sent. */
  onIdle(): void;
  /** send() threw or the stream closed while waiting for drain. */
  onError(error: unknown): void;
}

/** Frames under this size are joined with their neighbours; the joined buffer stops growing past it. */
const BATCH_BYTES = 64 * 1024;

interface SourceEntry {
  readonly source: FrameSource;
  /** Bytes of this source still counted in queuedBytes. */
  accounted: number;
}

export class LinkWriter {
  readonly #stream: SendableStream;
  readonly #maxQueuedBytes: number;
  readonly #events: WriterEvents;
  readonly #queue: (Uint8Array | SourceEntry)[] = [];
  #head = 0;
  #queuedBytes = 0;
  #scheduled = false;
  #draining = false;
  #stopped = false;

  constructor(stream: SendableStream, maxQueuedBytes: number, events: WriterEvents) {
    this.#stream = stream;
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#events = events;
  }

  /** Bytes queued here and not yet handed to the stream. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Bytes buffered for this peer in total: our queue plus the stream's own write buffer. */
  get bufferedBytes(): number {
    return this.#queuedBytes + this.#stream.writeBufferLength;
  }

  get idle(): boolean {
    return this.#queue.length === this.#head && !this.#draining;
  }

  hasSpace(bytes: number): boolean {
    return !this.#stopped && fitsBudget(this.#queuedBytes, bytes, this.#maxQueuedBytes);
  }

  push(item: Uint8Array | FrameSource): void {
    if (this.#stopped) return;
    if (item instanceof Uint8Array) {
      this.#queue.push(item);
      this.#queuedBytes += item.length;
    } else {
      this.#queue.push({ source: item, accounted: item.remaining });
      this.#queuedBytes += item.remaining;
    }
    if (!this.#scheduled && !this.#draining) {
      this.#scheduled = true;
      // A microtask, so that every frame queued in this turn of the event loop goes out in one send.
      queueMicrotask(() => this.#pump());
    }
  }

  /** Drops everything queued; later pushes are ignored. */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #pump(): void {
    this.#scheduled = false;
    while (!this.#stopped && this.#head < this.#queue.length) {
      if (this.#stream.writableNeedsDrain) {
        this.#waitForDrain();
        return;
      }
      let out = this.#nextFrame();
      if (out === undefined) continue;
      if (out.length < BATCH_BYTES && this.#head < this.#queue.length) out = this.#batch(out);
      let more: boolean;
      try {
        more = this.#stream.send(out);
      } catch (error) {
        this.#fail(error);
        return;
      }
      this.#events.onSpace();
      if (!more) {
        this.#waitForDrain();
        return;
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
      if (!this.#stopped) this.#events.onIdle();
    }
  }

  /** Joins `first` with the small frames behind it, up to BATCH_BYTES. */
  #batch(first: Uint8Array): Uint8Array {
    const frames = [first];
    let size = first.length;
    while (size < BATCH_BYTES && this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      if (!(entry instanceof Uint8Array) || size + entry.length > BATCH_BYTES) break;
      this.#head += 1;
      this.#queuedBytes -= entry.length;
      frames.push(entry);
      size += entry.length;
    }
    return frames.length === 1 ? first : concatBytes(...frames);
  }

  /** The next frame to send, or undefined when the head entry was an abandoned message. */
  #nextFrame(): Uint8Array | undefined {
    const entry = this.#queue[this.#head]!;
    this.#head += 1;
    if (entry instanceof Uint8Array) {
      this.#queuedBytes -= entry.length;
      return entry;
    }
    const { source } = entry;
    if (source.remaining === 0) {
      this.#queuedBytes -= entry.accounted;
      return undefined;
    }
    const frame = source.next();
    const sent = entry.accounted - source.remaining;
    this.#queuedBytes -= sent;
    entry.accounted -= sent;
    // Round robin: an unfinished message goes to the back, behind whatever was queued meanwhile.
    if (source.remaining > 0) this.#queue.push(entry);
    else this.#queuedBytes -= entry.accounted;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return frame;
  }

  #waitForDrain(): void {
    this.#draining = true;
    this.#stream.onDrain().then(
      () => {
        this.#draining = false;
        this.#pump();
      },
      (error: unknown) => {
        this.#draining = false;
        this.#fail(error);
      },
    );
  }

  #fail(error: unknown): void {
    this.stop();
    this.#events.onError(error);
  }
}
