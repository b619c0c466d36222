/**
 * Everything RLDP keeps about one peer: its streams, which of them carries new requests (the primary), and the
 * calling and serving sides.
 *
 * One stream per peer pair: when both sides open a stream at once, both keep the one opened by the lower PeerId
 * (or, between two streams of the same opener, the newer one) and retire the other. A retired stream carries no new
 * requests; each side closes its write side once it owes nothing there (its queue is empty and every request
 * received there is answered), and requests still pending on a stream whose peer has closed its side are sent
 * again on the primary — the peer answered everything it accepted before closing, so they were never served.
 */
import type { Stream } from '@libp2p/interface';
import { NetError } from '../errors.ts';
import type { NetLogger } from '../logger.ts';
import type { Clock, PeerRef, RequestHandler } from '../types.ts';
import { ClientSide } from './client.ts';
import { detach } from './frame-decoder.ts';
import type { Frame } from './frame.ts';
import { describeError } from './handler-error.ts';
import type { RldpLimits } from './limits.ts';
import { Link, type Opener } from './link.ts';
import { ServerSide } from './server.ts';

export interface SessionContext {
  readonly selfId: string;
  readonly limits: RldpLimits;
  readonly clock: Clock;
  readonly logger: NetLogger | undefined;
  handler(method: string): RequestHandler | undefined;
  deliverDatagram(from: string, topic: string, payload: Uint8Array): void;
  /** Dials the peer (when needed) and opens an RLDP stream to it. */
  openStream(peer: PeerRef): Promise<Stream>;
  /** Drops every connection to the peer (malformed frames, flooding). */
  disconnect(peerId: string, reason: string): void;
  /** The session holds nothing any more and may be forgotten. */
  idle(session: PeerSession): void;
}

export interface SessionStats {
  readonly streams: number;
  readonly outboundInFlight: number;
  readonly outboundWaiting: number;
  readonly inboundInFlight: number;
  readonly inboundBytes: number;
  /** Bytes waiting to be written to this peer: our queues plus the streams' write buffers. */
  readonly queuedBytes: number;
}

/** Datagrams kept while the first stream to a peer is being opened; more are dropped. */
const MAX_EARLY_DATAGRAMS = 16;

export class PeerSession {
  readonly peer: string;
  readonly client: ClientSide;
  readonly server: ServerSide;
  readonly #ctx: SessionContext;
  readonly #links = new Set<Link>();
  #primary: Link | undefined;
  #opening = false;
  #stopped = false;
  #addrs: readonly string[] = [];
  #early: Uint8Array[] = [];

  constructor(peer: string, ctx: SessionContext) {
    this.peer = peer;
    this.#ctx = ctx;
    this.client = new ClientSide(ctx.limits, ctx.clock, { primary: () => this.#primaryOrOpen() });
    this.server = new ServerSide(ctx.limits, ctx.clock, {
      peer,
      logger: ctx.logger,
      handler: (method) => ctx.handler(method),
      queuedReplyBytes: () => this.#queuedBytes(),
      settled: (link) => this.#maybeCloseWrite(link),
      disconnect: (reason) => ctx.disconnect(peer, reason),
    });
  }

  /** Addresses to dial when the peer is not connected (the latest non-empty list wins). */
  noteAddrs(addrs: readonly string[]): void {
    if (addrs.length > 0) this.#addrs = addrs;
  }

  get streams(): number {
    return this.#links.size;
  }

  adopt(stream: Stream, openedBy: Opener): void {
    if (this.#stopped) {
      stream.abort(new NetError('CLOSED', 'host stopped'));
      return;
    }
    const link = new Link(stream, openedBy, this.#ctx.limits, {
      onFrame: (l, frame) => this.#onFrame(l, frame),
      onMalformed: (l, error) => this.#onMalformed(l, error),
      onRemoteCloseWrite: (l) => this.#onRemoteCloseWrite(l),
      onClosed: (l) => this.#onClosed(l),
      onSpace: (l) => {
        if (l === this.#primary && this.client.hasWaiting) this.client.pump();
      },
      onIdle: (l) => this.#maybeCloseWrite(l),
    });
    this.#links.add(link);
    const current = this.#primary;
    if (current === undefined) this.#primary = link;
    else if (this.#prefers(link, current)) {
      this.#primary = link;
      this.#retire(current);
    } else this.#retire(link);
    if (this.#primary === link) {
      for (const frame of this.#early) link.send(frame);
      this.#early = [];
      this.client.pump();
    }
  }

  /** Queues a DATAGRAM frame; false when it was dropped (queue full or too many waiting for a stream). */
  sendDatagram(frame: Uint8Array): boolean {
    const link = this.#primaryOrOpen();
    if (link !== undefined) {
      if (!link.writer.hasSpace(frame.length)) return false;
      link.send(frame);
      return true;
    }
    if (this.#stopped || this.#early.length >= MAX_EARLY_DATAGRAMS) return false;
    this.#early.push(frame);
    return true;
  }

  stop(error: NetError): void {
    this.#stopped = true;
    this.#early = [];
    this.client.failAll(error);
    for (const link of [...this.#links]) link.abort(error);
  }

  stats(): SessionStats {
    return {
      streams: this.#links.size,
      outboundInFlight: this.client.inFlight,
      outboundWaiting: this.client.outstanding - this.client.inFlight,
      inboundInFlight: this.server.inFlight,
      inboundBytes: this.server.reservedBytes,
      queuedBytes: [...this.#links].reduce((n, l) => n + l.writer.bufferedBytes, 0),
    };
  }

  #primaryOrOpen(): Link | undefined {
    if (this.#primary !== undefined || this.#stopped) return this.#primary;
    if (!this.#opening) this.#open();
    return undefined;
  }

  #open(): void {
    this.#opening = true;
    this.#ctx.openStream({ id: this.peer, addrs: this.#addrs }).then(
      (stream) => {
        this.#opening = false;
        this.adopt(stream, 'local');
      },
      (error: unknown) => {
        this.#opening = false;
        if (this.#primary !== undefined) return;
        const why = describeError(error);
        this.#ctx.logger?.debug({ peer: this.peer, err: why }, 'rldp cannot open a stream');
        this.#early = [];
        this.client.failWaiting(new NetError('UNAVAILABLE', `cannot reach peer ${this.peer}: ${why}`, { cause: error }));
        this.#checkIdle();
      },
    );
  }

  /** Whether `a` should be the primary rather than `b` (the same answer on both sides, see the file comment). */
  #prefers(a: Link, b: Link): boolean {
    if (a.openedBy === b.openedBy) return true;
    const openerOfA = a.openedBy === 'local' ? this.#ctx.selfId : this.peer;
    const openerOfB = b.openedBy === 'local' ? this.#ctx.selfId : this.peer;
    return openerOfA < openerOfB;
  }

  #retire(link: Link): void {
    link.retired = true;
    this.#maybeCloseWrite(link);
  }

  #maybeCloseWrite(link: Link): void {
    if (link.retired && !link.writeClosed && link.inbound.size === 0 && link.writer.idle) link.closeWrite();
  }

  #onFrame(link: Link, frame: Frame): void {
    switch (frame.kind) {
      case 'request':
        return this.server.onRequest(link, frame);
      case 'cancel':
        return this.server.onCancel(link, frame.id);
      case 'chunk':
        if (frame.dir === 'request') return this.server.onChunk(link, frame.id, frame.payload);
        return this.client.onReply(link, frame);
      case 'response':
      case 'error':
        return this.client.onReply(link, frame);
      case 'datagram':
        return this.#ctx.deliverDatagram(this.peer, frame.topic, detach(frame.payload));
    }
  }

  #onMalformed(link: Link, error: unknown): void {
    const err = describeError(error);
    this.#ctx.logger?.warn({ peer: this.peer, err }, 'rldp malformed frame; disconnecting the peer');
    link.abort(error);
    this.#ctx.disconnect(this.peer, 'malformed RLDP frame');
  }

  #onRemoteCloseWrite(link: Link): void {
    if (this.#primary === link) this.#primary = undefined;
    link.retired = true;
    this.client.onLinkRemoteWriteClosed(link);
    this.#maybeCloseWrite(link);
    this.client.pump();
  }

  #onClosed(link: Link): void {
    this.#links.delete(link);
    if (this.#primary === link) this.#primary = undefined;
    this.client.onLinkClosed(link);
    this.server.onLinkClosed(link);
    if (this.client.hasWaiting) this.client.pump();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#links.size === 0 && !this.#opening && this.client.outstanding === 0) this.#ctx.idle(this);
  }

  #queuedBytes(): number {
    let n = 0;
    for (const link of this.#links) n += link.writer.queuedBytes;
    return n;
  }
}
