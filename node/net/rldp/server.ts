/**
 * The serving side of one peer session: admits requests within the peer's limits, reassembles chunked ones, runs
 * the handler with the caller's remaining deadline, and answers on the stream the request came on. A peer that is
 * refused for its limits too often within a window is disconnected.
 */
import { NetError, type RemoteErrorCode } from '../errors.ts';
import type { NetLogger } from '../logger.ts';
import type { Clock, RequestContext, RequestHandler } from '../types.ts';
import { ChunkedMessage, Reassembly } from './chunker.ts';
import { detach } from './frame-decoder.ts';
import { encodeError, encodeResponse, type Frame } from './frame.ts';
import { describeError, HANDLER_FAILED, wireFailure } from './handler-error.ts';
import { FloodMeter, fitsBudget, type RldpLimits } from './limits.ts';
import type { InboundRequest, Link } from './link.ts';

export interface ServerHost {
  readonly peer: string;
  readonly logger: NetLogger | undefined;
  handler(method: string): RequestHandler | undefined;
  /** Bytes of our replies to this peer still queued, on all its streams. */
  queuedReplyBytes(): number;
  /** A request on `link` is done: the link may now be closable. */
  settled(link: Link): void;
  disconnect(reason: string): void;
}

type RequestFrame = Extract<Frame, { kind: 'request' }>;

export class ServerSide {
  readonly #limits: RldpLimits;
  readonly #clock: Clock;
  readonly #host: ServerHost;
  readonly #flood: FloodMeter;
  #inFlight = 0;
  #reserved = 0;
  /** Set once the peer earned a disconnect: everything it still sends is refused until the connection goes. */
  #condemned = false;

  constructor(limits: RldpLimits, clock: Clock, host: ServerHost) {
    this.#limits = limits;
    this.#clock = clock;
    this.#host = host;
    this.#flood = new FloodMeter(limits.floodStrikes, limits.floodWindowMs);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Request bytes held for this peer (received, or announced and being received). */
  get reservedBytes(): number {
    return this.#reserved;
  }

  onRequest(link: Link, f: RequestFrame): void {
    // Past our half-close we can no longer answer here; the peer sends it again on another stream.
    if (link.writeClosed) return;
    if (link.inbound.has(f.id)) throw new NetError('MALFORMED_FRAME', `request id ${f.id} is already in use`);
    const limits = this.#limits;
    if (f.total > limits.maxMessageBytes) {
      return this.#refuse(link, f.id, 'TOO_LARGE', `request of ${f.total} bytes exceeds ${limits.maxMessageBytes}`);
    }
    if (this.#host.handler(f.method) === undefined) {
      return this.#refuse(link, f.id, 'UNAVAILABLE', `no handler for method ${f.method}`);
    }
    if (this.#condemned) return this.#refuse(link, f.id, 'UNAVAILABLE', 'peer limit: disconnecting for flooding');
    if (this.#inFlight >= limits.maxInboundInFlight) {
      return this.#refuseForLimit(link, f.id, `more than ${limits.maxInboundInFlight} requests in flight`);
    }
    if (!fitsBudget(this.#reserved + this.#host.queuedReplyBytes(), f.total, limits.maxBufferedBytes)) {
      return this.#refuseForLimit(link, f.id, `more than ${limits.maxBufferedBytes} bytes buffered`);
    }
    const timeoutMs = Math.min(f.timeoutMs, limits.maxDeadlineMs);
    const ib: InboundRequest = {
      id: f.id,
      method: f.method,
      deadline: this.#clock.now() + timeoutMs,
      controller: new AbortController(),
      reserved: f.total,
      reassembly: undefined,
      timer: undefined,
    };
    // The caller stops waiting at about the same moment, so an expired request is dropped without a reply.
    ib.timer = this.#clock.setTimeout(() => this.#abandon(link, ib, 'TIMEOUT', 'deadline passed'), timeoutMs);
    link.inbound.set(f.id, ib);
    this.#inFlight += 1;
    this.#reserved += f.total;
    if (f.payload.length === f.total) this.#dispatch(link, ib, detach(f.payload));
    else ib.reassembly = new Reassembly(f.total, f.payload);
  }

  onChunk(link: Link, id: number, payload: Uint8Array): void {
    const ib = link.inbound.get(id);
    // Chunks of a refused or cancelled request are dropped.
    if (ib?.reassembly === undefined) return;
    const whole = ib.reassembly.add(payload);
    if (whole === undefined) return;
    ib.reassembly = undefined;
    this.#dispatch(link, ib, whole);
  }

  onCancel(link: Link, id: number): void {
    const ib = link.inbound.get(id);
    if (ib !== undefined) this.#abandon(link, ib, 'CLOSED', 'cancelled by the caller');
  }

  /** The stream is gone: nothing received on it can be answered any more. */
  onLinkClosed(link: Link): void {
    for (const ib of [...link.inbound.values()]) this.#abandon(link, ib, 'CLOSED', 'the stream closed');
  }

  #dispatch(link: Link, ib: InboundRequest, body: Uint8Array): void {
    const handler = this.#host.handler(ib.method);
    if (handler === undefined) {
      this.#replyError(link, ib, new NetError('UNAVAILABLE', `no handler for method ${ib.method}`));
      return;
    }
    const ctx: RequestContext = { peer: this.#host.peer, deadline: ib.deadline, signal: ib.controller.signal };
    let result: Promise<Uint8Array>;
    try {
      result = handler(body, ctx);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (reply) => this.#reply(link, ib, reply),
      (error: unknown) => this.#replyError(link, ib, error),
    );
  }

  #reply(link: Link, ib: InboundRequest, reply: unknown): void {
    if (!this.#finish(link, ib)) return;
    if (!(reply instanceof Uint8Array)) {
      this.#host.logger?.warn({ peer: this.#host.peer, method: ib.method }, 'rldp handler returned no bytes');
      link.send(encodeError(ib.id, 'UNAVAILABLE', HANDLER_FAILED));
      return;
    }
    const { frameLimit, maxMessageBytes } = this.#limits;
    if (reply.length > maxMessageBytes) {
      link.send(encodeError(ib.id, 'TOO_LARGE', `reply of ${reply.length} bytes exceeds ${maxMessageBytes}`));
    } else if (reply.length <= frameLimit) {
      link.send(encodeResponse(ib.id, reply.length, reply));
    } else if (link.writable) {
      const head = (first: Uint8Array) => encodeResponse(ib.id, reply.length, first);
      link.writer.push(new ChunkedMessage('response', ib.id, reply, frameLimit, head));
    }
    this.#host.settled(link);
  }

  #replyError(link: Link, ib: InboundRequest, error: unknown): void {
    if (!this.#finish(link, ib)) return;
    link.send(this.#errorFrame(ib, error));
    this.#host.settled(link);
  }

  #errorFrame(ib: InboundRequest, error: unknown): Uint8Array {
    const { failure, unexpected } = wireFailure(error);
    if (unexpected) {
      const peer = this.#host.peer;
      this.#host.logger?.warn({ peer, method: ib.method, err: describeError(error) }, 'rldp handler failed');
    }
    const { code, message, data } = failure;
    if (data !== undefined && data.length > this.#limits.frameLimit) {
      return encodeError(ib.id, 'TOO_LARGE', `error data of ${data.length} bytes exceeds the frame limit`);
    }
    return encodeError(ib.id, code, message, data);
  }

  #refuse(link: Link, id: number, code: RemoteErrorCode, message: string): void {
    link.send(encodeError(id, code, message));
  }

  #refuseForLimit(link: Link, id: number, why: string): void {
    this.#refuse(link, id, 'UNAVAILABLE', `peer limit: ${why}`);
    if (this.#flood.strike(this.#clock.now())) {
      this.#condemned = true;
      this.#host.logger?.warn({ peer: this.#host.peer, why }, 'rldp peer keeps flooding; disconnecting');
      // After this turn, so that the refusals already queued reach the peer before the connection drops.
      this.#clock.setTimeout(() => this.#host.disconnect(`flooding: ${why}`), 0);
    }
  }

  #abandon(link: Link, ib: InboundRequest, code: 'TIMEOUT' | 'CLOSED', why: string): void {
    if (!this.#finish(link, ib)) return;
    ib.controller.abort(new NetError(code, why));
    this.#host.settled(link);
  }

  /** Releases the request's slot and bytes; false when it was already released. */
  #finish(link: Link, ib: InboundRequest): boolean {
    if (link.inbound.get(ib.id) !== ib) return false;
    link.inbound.delete(ib.id);
    this.#inFlight -= 1;
    this.#reserved -= ib.reserved;
    if (ib.timer !== undefined) this.#clock.clearTimeout(ib.timer);
    return true;
  }
}

