/**
 * The calling side of one peer session: requests wait in order until the peer has a stream, fewer than
 * maxOutboundInFlight requests are unanswered and the stream's queue has room; then they take an id and go out on
 * the primary stream. Replies are matched by id (and stream), deadlines and caller aborts send CANCEL.
 */
import { NetError } from '../errors.ts';
import type { Clock, ClockTimer } from '../types.ts';
import { ChunkedMessage, Reassembly } from './chunker.ts';
import { detach } from './frame-decoder.ts';
import { encodeCancel, encodeRequest, type Frame } from './frame.ts';
import type { RldpLimits } from './limits.ts';
import type { Link } from './link.ts';

export interface ClientHost {
  /** The stream new requests go to; when there is none this starts opening one and returns undefined. */
  primary(): Link | undefined;
}

interface Outbound {
  readonly methodBytes: Uint8Array;
  readonly body: Uint8Array;
  readonly deadline: number;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: NetError) => void;
  readonly timer: ClockTimer;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
  id: number;
  link: Link | undefined;
  source: ChunkedMessage | undefined;
  reassembly: Reassembly | undefined;
  done: boolean;
}

type ReplyFrame = Extract<Frame, { kind: 'response' | 'error' | 'chunk' }>;

const MAX_ID = 0xffff_ffff;

export class ClientSide {
  readonly #limits: RldpLimits;
  readonly #clock: Clock;
  readonly #host: ClientHost;
  readonly #pending = new Map<number, Outbound>();
  #waiting: Outbound[] = [];
  #waitingHead = 0;
  #outstanding = 0;
  #nextId = 1;

  constructor(limits: RldpLimits, clock: Clock, host: ClientHost) {
    this.#limits = limits;
    this.#clock = clock;
    this.#host = host;
  }

  /** Requests sent and unanswered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Requests sent or waiting to be sent. */
  get outstanding(): number {
    return this.#outstanding;
  }

  request(methodBytes: Uint8Array, body: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#outstanding >= this.#limits.maxPendingRequests) {
      return Promise.reject(new NetError('PEER_LIMIT', `${this.#outstanding} requests to this peer are outstanding`));
    }
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    const onAbort = signal === undefined ? undefined : () => this.#giveUp(ob, abortError(signal));
    const ob: Outbound = {
      methodBytes,
      body,
      deadline: this.#clock.now() + timeoutMs,
      resolve,
      reject,
      timer: this.#clock.setTimeout(() => this.#giveUp(ob, timeoutError(timeoutMs)), timeoutMs),
      signal,
      onAbort,
      id: 0,
      link: undefined,
      source: undefined,
      reassembly: undefined,
      done: false,
    };
    this.#outstanding += 1;
    signal?.addEventListener('abort', onAbort!, { once: true });
    this.#waiting.push(ob);
    this.pump();
    return promise;
  }

  /** Sends waiting requests while the limits allow. */
  pump(): void {
    while (this.#waitingHead < this.#waiting.length) {
      const ob = this.#waiting[this.#waitingHead]!;
      if (ob.done) {
        this.#waitingHead += 1;
        continue;
      }
      if (this.#pending.size >= this.#limits.maxOutboundInFlight) break;
      const link = this.#host.primary();
      if (link === undefined || !link.writer.hasSpace(ob.body.length)) break;
      this.#waitingHead += 1;
      this.#send(ob, link);
    }
    if (this.#waitingHead === this.#waiting.length) {
      if (this.#waitingHead > 0) {
        this.#waiting.length = 0;
        this.#waitingHead = 0;
      }
    } else if (this.#waitingHead > 1024) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  get hasWaiting(): boolean {
    return this.#waitingHead < this.#waiting.length;
  }

  onReply(link: Link, frame: ReplyFrame): void {
    const ob = this.#pending.get(frame.id);
    // A reply to a request we gave up on (or that lives on another stream) is late, not malformed.
    if (ob === undefined || ob.link !== link) return;
    if (frame.kind === 'error') {
      const detail = frame.data === undefined ? {} : { data: detach(frame.data) };
      this.#finish(ob, new NetError(frame.code, frame.message, { ...detail, remote: true }));
    } else if (frame.kind === 'chunk') {
      if (ob.reassembly === undefined) throw new NetError('MALFORMED_FRAME', 'reply CHUNK before its RESPONSE');
      const whole = ob.reassembly.add(frame.payload);
      if (whole !== undefined) this.#finish(ob, whole);
    } else if (ob.reassembly !== undefined) {
      throw new NetError('MALFORMED_FRAME', `second RESPONSE for request ${frame.id}`);
    } else if (frame.total > this.#limits.maxMessageBytes) {
      const why = `reply of ${frame.total} bytes exceeds ${this.#limits.maxMessageBytes}`;
      this.#giveUp(ob, new NetError('TOO_LARGE', why));
    } else if (frame.payload.length === frame.total) {
      this.#finish(ob, detach(frame.payload));
    } else {
      ob.reassembly = new Reassembly(frame.total, frame.payload);
    }
  }

  /** The stream died: its requests will never be answered. */
  onLinkClosed(link: Link): void {
    for (const ob of [...this.#pending.values()]) {
      if (ob.link === link) this.#finish(ob, new NetError('CLOSED', 'the stream to the peer closed before the reply'));
    }
  }

  /**
   * The peer closed its side of the stream: it answered everything it accepted there before doing so, so what is
   * still pending on it was never served and goes out again, first in line, on the next primary stream.
   */
  onLinkRemoteWriteClosed(link: Link): void {
    const again: Outbound[] = [];
    for (const ob of this.#pending.values()) {
      if (ob.link !== link) continue;
      ob.source?.abandon();
      ob.source = undefined;
      ob.reassembly = undefined;
      ob.link = undefined;
      again.push(ob);
    }
    for (const ob of again) this.#pending.delete(ob.id);
    if (again.length > 0) {
      this.#waiting = [...again, ...this.#waiting.slice(this.#waitingHead)];
      this.#waitingHead = 0;
    }
  }

  /** No stream could be opened: the requests waiting for one fail. */
  failWaiting(error: NetError): void {
    for (let i = this.#waitingHead; i < this.#waiting.length; i++) this.#finish(this.#waiting[i]!, error);
    this.#waiting = [];
    this.#waitingHead = 0;
  }

  failAll(error: NetError): void {
    this.failWaiting(error);
    for (const ob of [...this.#pending.values()]) this.#finish(ob, error);
  }

  #send(ob: Outbound, link: Link): void {
    const id = this.#allocateId();
    ob.id = id;
    ob.link = link;
    this.#pending.set(id, ob);
    const remaining = Math.max(1, Math.ceil(ob.deadline - this.#clock.now()));
    const { body, methodBytes } = ob;
    if (body.length <= this.#limits.frameLimit) {
      link.send(encodeRequest(id, remaining, body.length, methodBytes, body));
      return;
    }
    const head = (first: Uint8Array) => encodeRequest(id, remaining, body.length, methodBytes, first);
    ob.source = new ChunkedMessage('request', id, body, this.#limits.frameLimit, head);
    link.writer.push(ob.source);
  }

  #allocateId(): number {
    let id = this.#nextId;
    while (this.#pending.has(id)) id = id === MAX_ID ? 1 : id + 1;
    this.#nextId = id === MAX_ID ? 1 : id + 1;
    return id;
  }

  /** Deadline or caller abort: the caller hears at once; the peer is told with CANCEL if it saw the request. */
  #giveUp(ob: Outbound, error: NetError): void {
    if (ob.done) return;
    const { link, source, id } = ob;
    if (link !== undefined) {
      if (source !== undefined && !source.started) source.abandon();
      else {
        source?.abandon();
        link.send(encodeCancel(id));
      }
    }
    this.#finish(ob, error);
  }

  #finish(ob: Outbound, outcome: Uint8Array | NetError): void {
    if (ob.done) return;
    ob.done = true;
    this.#outstanding -= 1;
    this.#clock.clearTimeout(ob.timer);
    if (ob.onAbort !== undefined) ob.signal?.removeEventListener('abort', ob.onAbort);
    if (ob.link !== undefined && this.#pending.get(ob.id) === ob) {
      this.#pending.delete(ob.id);
      this.pump();
    }
    if (outcome instanceof NetError) ob.reject(outcome);
    else ob.resolve(outcome);
  }
}

function timeoutError(ms: number): NetError {
  return new NetError('TIMEOUT', `no reply within ${ms} ms`);
}

function abortError(signal: AbortSignal): NetError {
  return new NetError('CLOSED', 'request aborted by the caller', { cause: signal.reason });
}
