/**
 * RLDP on a host: the Rpc the protocol layers use, over one PeerSession per peer. Transport details (dialling,
 * disconnecting, which streams arrive) are injected, so this file knows libp2p only as far as its Stream type.
 */
import type { Stream } from '@libp2p/interface';
import { NetError } from '../errors.ts';
import type { NetLogger } from '../logger.ts';
import type { Clock, PeerRef, RequestHandler, RequestOptions, Rpc } from '../types.ts';
import { nameBytes } from './frame.ts';
import type { RldpLimits } from './limits.ts';
import { serveLocally } from './local.ts';
import { PeerSession, type SessionContext, type SessionStats } from './session.ts';

export interface RldpOptions {
  readonly limits: RldpLimits;
  readonly clock: Clock;
  readonly logger?: NetLogger | undefined;
  /** Our PeerId. */
  readonly selfId: string;
  /** The local peer (its addresses are known once the host listens). */
  self(): PeerRef;
  openStream(peer: PeerRef): Promise<Stream>;
  disconnect(peerId: string, reason: string): void;
  deliverDatagram(from: string, topic: string, payload: Uint8Array): void;
}

/** Method names are few; their UTF-8 is kept so that a request does not encode its method again. */
const MAX_CACHED_NAMES = 4096;

export class Rldp implements Rpc {
  readonly #options: RldpOptions;
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #sessions = new Map<string, PeerSession>();
  readonly #names = new Map<string, Uint8Array>();
  readonly #ctx: SessionContext;
  #stopped = false;

  constructor(options: RldpOptions) {
    this.#options = options;
    this.#ctx = {
      selfId: options.selfId,
      limits: options.limits,
      clock: options.clock,
      logger: options.logger,
      handler: (method) => this.#handlers.get(method),
      deliverDatagram: options.deliverDatagram,
      openStream: options.openStream,
      disconnect: options.disconnect,
      idle: (session) => {
        if (this.#sessions.get(session.peer) === session) this.#sessions.delete(session.peer);
      },
    };
  }

  get self(): PeerRef {
    return this.#options.self();
  }

  handle(method: string, handler: RequestHandler): void {
    if (this.#nameBytes(method) === undefined) {
      throw new NetError('BAD_REQUEST', `invalid method name ${JSON.stringify(method)}`);
    }
    if (this.#handlers.has(method)) throw new NetError('BAD_REQUEST', `method ${method} already has a handler`);
    this.#handlers.set(method, handler);
  }

  unhandle(method: string): void {
    this.#handlers.delete(method);
  }

  request(peer: PeerRef, method: string, body: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    const { limits } = this.#options;
    if (this.#stopped) return Promise.reject(new NetError('CLOSED', 'the host is stopped'));
    const methodBytes = this.#nameBytes(method);
    if (methodBytes === undefined) {
      return Promise.reject(new NetError('BAD_REQUEST', `invalid method name ${JSON.stringify(method)}`));
    }
    if (!(body instanceof Uint8Array)) return Promise.reject(new NetError('BAD_REQUEST', 'the body must be bytes'));
    if (body.length > limits.maxMessageBytes) {
      const why = `request of ${body.length} bytes exceeds ${limits.maxMessageBytes}`;
      return Promise.reject(new NetError('TOO_LARGE', why));
    }
    const timeoutMs = options.timeoutMs ?? limits.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > limits.maxDeadlineMs) {
      return Promise.reject(new NetError('BAD_REQUEST', `timeout must be 1…${limits.maxDeadlineMs} ms`));
    }
    if (peer.id === this.#options.selfId) {
      const handler = this.#handlers.get(method);
      return serveLocally(handler, method, body, peer.id, this.#options.clock, timeoutMs, options.signal);
    }
    const session = this.#session(peer.id);
    session.noteAddrs(peer.addrs);
    return session.client.request(methodBytes, body, timeoutMs, options.signal);
  }

  /** Queues a DATAGRAM frame to `peer`; false when it was dropped. */
  sendDatagram(peer: PeerRef, frame: Uint8Array): boolean {
    if (this.#stopped) return false;
    const session = this.#session(peer.id);
    session.noteAddrs(peer.addrs);
    return session.sendDatagram(frame);
  }

  /** An inbound /ame/rldp/1 stream from `peerId`. */
  accept(stream: Stream, peerId: string): void {
    if (this.#stopped) {
      stream.abort(new NetError('CLOSED', 'host stopped'));
      return;
    }
    this.#session(peerId).adopt(stream, 'remote');
  }

  stats(peerId: string): SessionStats | undefined {
    return this.#sessions.get(peerId)?.stats();
  }

  /** Fails everything pending with CLOSED and closes every RLDP stream. */
  stop(): void {
    this.#stopped = true;
    const error = new NetError('CLOSED', 'the host is stopped');
    for (const session of [...this.#sessions.values()]) session.stop(error);
    this.#sessions.clear();
  }

  #session(peerId: string): PeerSession {
    let session = this.#sessions.get(peerId);
    if (session === undefined) {
      session = new PeerSession(peerId, this.#ctx);
      this.#sessions.set(peerId, session);
    }
    return session;
  }

  #nameBytes(name: string): Uint8Array | undefined {
    let bytes = this.#names.get(name);
    if (bytes !== undefined) return bytes;
    bytes = nameBytes(name);
    if (bytes === undefined) return undefined;
    if (this.#names.size >= MAX_CACHED_NAMES) this.#names.clear();
    this.#names.set(name, bytes);
    return bytes;
  }
}
