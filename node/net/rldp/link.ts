/**
 * One RLDP stream of a peer session. A request, its chunks, its CANCEL and its reply all travel on the stream the
 * request was sent on; only new requests go to the session's primary stream. That keeps every exchange on one
 * ordered byte stream, so a stream that is being retired (after a simultaneous open) can finish what it carries.
 */
import type { Stream } from '@libp2p/interface';
import { NetError } from '../errors.ts';
import type { ClockTimer } from '../types.ts';
import type { Reassembly } from './chunker.ts';
import { FrameDecoder } from './frame-decoder.ts';
import type { Frame } from './frame.ts';
import { LinkWriter, type SendableStream } from './writer.ts';

/** A request received on a link, from arrival until its reply is queued or it is abandoned. */
export interface InboundRequest {
  readonly id: number;
  readonly method: string;
  readonly deadline: number;
  readonly controller: AbortController;
  /** Bytes counted against the peer's buffer budget. */
  readonly reserved: number;
  /** Set while CHUNK frames are still to come. */
  reassembly: Reassembly | undefined;
  timer: ClockTimer | undefined;
}

export interface LinkEvents {
  onFrame(link: Link, frame: Frame): void;
  onMalformed(link: Link, error: unknown): void;
  onRemoteCloseWrite(link: Link): void;
  onClosed(link: Link): void;
  onSpace(link: Link): void;
  onIdle(link: Link): void;
}

export type Opener = 'local' | 'remote';

export class Link {
  readonly stream: Stream;
  readonly openedBy: Opener;
  readonly writer: LinkWriter;
  readonly inbound = new Map<number, InboundRequest>();
  /** No new requests go here; our write side closes once we owe nothing on it. */
  retired = false;
  /** We closed our write side: requests that still arrive are dropped unanswered (the peer resends them). */
  writeClosed = false;
  closed = false;
  readonly #decoder: FrameDecoder;
  readonly #events: LinkEvents;

  constructor(
    stream: Stream,
    openedBy: Opener,
    limits: { readonly frameLimit: number; readonly maxQueuedBytes: number },
    events: LinkEvents,
  ) {
    this.stream = stream;
    this.openedBy = openedBy;
    this.#events = events;
    this.#decoder = new FrameDecoder(limits.frameLimit);
    this.writer = new LinkWriter(sendable(stream), limits.maxQueuedBytes, {
      onSpace: () => events.onSpace(this),
      onIdle: () => events.onIdle(this),
      onError: (error) => this.abort(error),
    });
    stream.addEventListener('message', (event) => this.#receive(event.data));
    stream.addEventListener('remoteCloseWrite', () => events.onRemoteCloseWrite(this));
    stream.addEventListener('close', () => this.#onClose());
  }

  /** Bytes received but not yet a whole frame. */
  get partialBytes(): number {
    return this.#decoder.buffered;
  }

  /** Whether new frames can still be written. */
  get writable(): boolean {
    return !this.closed && !this.writeClosed && this.stream.writeStatus === 'writable';
  }

  send(frame: Uint8Array): void {
    if (this.writable) this.writer.push(frame);
  }

  /** Closes our write side after what is queued (the peer then knows we will answer nothing more here). */
  closeWrite(): void {
    if (this.writeClosed || this.closed) return;
    this.writeClosed = true;
    this.stream.close().catch((error: unknown) => this.abort(error));
  }

  abort(error: unknown): void {
    if (this.closed) return;
    this.stream.abort(error instanceof Error ? error : new Error(String(error)));
    this.#onClose();
  }

  #receive(data: Uint8Array | Iterable<Uint8Array>): void {
    if (this.closed) return;
    try {
      if (data instanceof Uint8Array) this.#decoder.push(data, (f) => this.#events.onFrame(this, f));
      else for (const piece of data) this.#decoder.push(piece, (f) => this.#events.onFrame(this, f));
    } catch (error) {
      this.#events.onMalformed(this, error);
    }
  }

  #onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.stop();
    this.#events.onClosed(this);
  }
}

/**
 * The stream as the writer sees it. Waiting for drain listens for the 'drain' event itself: in @libp2p/utils 7.4
 * stream.onDrain() keeps its first promise once resolved, so from the second wait on it returns at once while the
 * stream still needs draining — a writer that trusts it spins on microtasks and starves the event loop.
 */
function sendable(stream: Stream): SendableStream {
  return {
    send: (data) => stream.send(data),
    get writableNeedsDrain() {
      return stream.writableNeedsDrain;
    },
    get writeBufferLength() {
      return stream.writeBufferLength;
    },
    onDrain: () =>
      new Promise<void>((resolve, reject) => {
        if (!stream.writableNeedsDrain) {
          resolve();
          return;
        }
        const onDrain = () => {
          stream.removeEventListener('close', onClose);
          resolve();
        };
        const onClose = () => {
          stream.removeEventListener('drain', onDrain);
          reject(new NetError('CLOSED', 'the stream closed while waiting to write'));
        };
        stream.addEventListener('drain', onDrain, { once: true });
        stream.addEventListener('close', onClose, { once: true });
      }),
  };
}
