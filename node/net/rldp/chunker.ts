/**
 * Messages above the frame limit: split lazily into a head frame and CHUNK frames (a frame is built only when the
 * writer is about to send it, so a 64 MiB message never exists twice in memory), and reassembled on arrival.
 */
import { NetError } from '../errors.ts';
import { type ChunkDirection, encodeChunk } from './frame.ts';

/** Something the writer sends frame by frame, taking turns with other messages. */
export interface FrameSource {
  /** Payload bytes not yet handed out (the queue's accounting). */
  readonly remaining: number;
  /** The next frame; call only while remaining > 0. */
  next(): Uint8Array;
}

export class ChunkedMessage implements FrameSource {
  readonly #dir: ChunkDirection;
  readonly #id: number;
  readonly #payload: Uint8Array;
  readonly #frameLimit: number;
  readonly #head: (first: Uint8Array) => Uint8Array;
  #offset = 0;
  #abandoned = false;

  /** `head` builds the REQUEST or RESPONSE frame that carries the first slice and announces the total. */
  constructor(
    dir: ChunkDirection,
    id: number,
    payload: Uint8Array,
    frameLimit: number,
    head: (first: Uint8Array) => Uint8Array,
  ) {
    this.#dir = dir;
    this.#id = id;
    this.#payload = payload;
    this.#frameLimit = frameLimit;
    this.#head = head;
  }

  get remaining(): number {
    return this.#abandoned ? 0 : this.#payload.length - this.#offset;
  }

  /** Whether the head frame is already out (so the peer knows of the message). */
  get started(): boolean {
    return this.#offset > 0;
  }

  /** Stops sending: nothing more of it goes out (the peer, told by CANCEL, drops what it has). */
  abandon(): void {
    this.#abandoned = true;
  }

  next(): Uint8Array {
    const start = this.#offset;
    const end = Math.min(start + this.#frameLimit, this.#payload.length);
    this.#offset = end;
    const slice = this.#payload.subarray(start, end);
    return start === 0 ? this.#head(slice) : encodeChunk(this.#dir, this.#id, slice);
  }
}

/** Collects the slices of one incoming message into a buffer of its announced size. */
export class Reassembly {
  readonly #buffer: Uint8Array;
  #filled = 0;

  constructor(total: number, first: Uint8Array) {
    this.#buffer = new Uint8Array(total);
    this.#buffer.set(first, 0);
    this.#filled = first.length;
  }

  get total(): number {
    return this.#buffer.length;
  }

  /** Appends a slice; the whole message once complete, else undefined. MALFORMED_FRAME past the total. */
  add(slice: Uint8Array): Uint8Array | undefined {
    if (this.#filled + slice.length > this.#buffer.length) {
      throw new NetError('MALFORMED_FRAME', `CHUNK overruns its ${this.#buffer.length}-byte message`);
    }
    this.#buffer.set(slice, this.#filled);
    this.#filled += slice.length;
    return this.#filled === this.#buffer.length ? this.#buffer : undefined;
  }
}
