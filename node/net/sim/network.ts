/**
 * An in-process network of virtual peers for the deterministic simulator. Each peer is an Rpc and a Datagrams
 * (node/net/types.ts), the same interfaces the libp2p host implements, so protocol code runs unchanged on both.
 * Everything that varies — link latencies, jitter, datagram loss — is drawn from one seed, and all events run on
 * one SimClock in a fixed order, so a seed replays the same run event for event.
 */
import type { Datagrams, DatagramHandler, PeerRef, RequestHandler, RequestOptions, Rpc } from '../types.ts';
import { SimClock } from './clock.ts';
import { emit, type DeadPeerMode, type PeerState, type SimContext, type SimStats, type TraceEvent } from './context.ts';
import { simSend } from './datagrams.ts';
import { SimError } from './errors.ts';
import { uniformLatency, type LatencyDistribution } from './latency.ts';
import { Links } from './links.ts';
import { seededRandom, type SeededRandom } from './random.ts';
import { failCallsOfKilled, simRequest } from './rpc.ts';

export interface SimNetworkOptions {
  /** Default: a new SimClock at time 0. */
  readonly clock?: SimClock;
  /** Seed of every random draw of the network (default 0). */
  readonly seed?: number | string;
  /** Base latency of each directed link, drawn once per link (default uniform 1…20 ms). */
  readonly linkLatency?: LatencyDistribution;
  /** Added to each message's latency (default none). */
  readonly jitter?: LatencyDistribution;
  /** Probability that a datagram is lost (default 0). Requests are reliable, as RLDP is. */
  readonly loss?: number;
  /** When a request to a dead, unknown or cut-off peer fails UNAVAILABLE: at its deadline (default) or at once. */
  readonly deadPeer?: DeadPeerMode;
  /** Deadline of a request that names none (default 10,000 ms, as RLDP's). */
  readonly defaultTimeoutMs?: number;
  /** Largest request or reply (default 4 MiB). */
  readonly maxMessageSize?: number;
  /** Largest datagram (default 1 KiB). */
  readonly maxDatagramSize?: number;
  /** Receives errors thrown by datagram handlers; by default they propagate out of the clock's run loop. */
  readonly onHandlerError?: (error: unknown, where: { peer: string; topic: string }) => void;
  /** Sees every network event, in order: for determinism checks and debugging. */
  readonly trace?: (event: TraceEvent) => void;
}

function checkProbability(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new SimError('BAD_ARGUMENT', `loss must be a probability in [0, 1], got ${p}`);
  return p;
}

function checkSize(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new SimError('BAD_ARGUMENT', `${what} must be a whole number ≥ 0`);
  return n;
}

export class SimNetwork {
  readonly clock: SimClock;
  readonly random: SeededRandom;
  readonly #ctx: SimContext;
  readonly #peers = new Map<string, SimPeer>();

  constructor(options: SimNetworkOptions = {}) {
    this.clock = options.clock ?? new SimClock();
    this.random = seededRandom(options.seed ?? 0);
    const links = new Links(this.random.fork('links'), {
      linkLatency: options.linkLatency ?? uniformLatency(1, 20),
      jitter: options.jitter,
    });
    this.#ctx = {
      clock: this.clock,
      random: this.random,
      links,
      peers: new Map(),
      stats: {
        requests: 0,
        replies: 0,
        remoteErrors: 0,
        timeouts: 0,
        unavailable: 0,
        datagramsSent: 0,
        datagramsDelivered: 0,
        datagramsLost: 0,
      },
      deadPeer: options.deadPeer ?? 'deadline',
      defaultTimeoutMs: checkSize(options.defaultTimeoutMs ?? 10_000, 'defaultTimeoutMs'),
      maxMessageSize: checkSize(options.maxMessageSize ?? 4 * 1024 * 1024, 'maxMessageSize'),
      maxDatagramSize: checkSize(options.maxDatagramSize ?? 1024, 'maxDatagramSize'),
      loss: checkProbability(options.loss ?? 0),
      onHandlerError: options.onHandlerError,
      trace: options.trace,
    };
  }

  /** Adds a live peer; a bare id gets no addresses (in-process peers need none). */
  addPeer(ref: PeerRef | string): SimPeer {
    const self: PeerRef = typeof ref === 'string' ? { id: ref, addrs: [] } : { id: ref.id, addrs: [...ref.addrs] };
    if (this.#peers.has(self.id)) throw new SimError('DUPLICATE_PEER', `peer ${self.id} is already in the network`);
    const state: PeerState = {
      ref: self,
      alive: true,
      incarnation: 0,
      handlers: new Map(),
      topics: new Map(),
      outgoing: new Set(),
      incoming: new Set(),
    };
    this.#ctx.peers.set(self.id, state);
    const peer = new SimPeer(this.#ctx, state);
    this.#peers.set(self.id, peer);
    return peer;
  }

  peer(id: string): SimPeer {
    const peer = this.#peers.get(id);
    if (peer === undefined) throw new SimError('UNKNOWN_PEER', `no peer ${id} in the network`);
    return peer;
  }

  get peers(): readonly SimPeer[] {
    return [...this.#peers.values()];
  }

  /** Cuts both directions between two peers: requests fail as to a dead peer, datagrams and replies are lost. */
  cut(a: string, b: string): void {
    this.#ctx.links.cut(a, b);
  }

  /** Restores the link between a and b, or every link when called without peers. */
  heal(a?: string, b?: string): void {
    this.#ctx.links.heal(a, b);
  }

  stats(): Readonly<SimStats> {
    return { ...this.#ctx.stats };
  }
}

/** One virtual peer: its Rpc and Datagrams, and the switch that kills and restarts its process. */
export class SimPeer implements Rpc, Datagrams {
  readonly self: PeerRef;
  readonly #ctx: SimContext;
  readonly #state: PeerState;

  constructor(ctx: SimContext, state: PeerState) {
    this.#ctx = ctx;
    this.#state = state;
    this.self = state.ref;
  }

  get alive(): boolean {
    return this.#state.alive;
  }

  handle(method: string, handler: RequestHandler): void {
    if (this.#state.handlers.has(method)) {
      throw new SimError('DUPLICATE_HANDLER', `${this.self.id} already handles ${method}`);
    }
    this.#state.handlers.set(method, handler);
  }

  unhandle(method: string): void {
    this.#state.handlers.delete(method);
  }

  request(peer: PeerRef, method: string, body: Uint8Array, options?: RequestOptions): Promise<Uint8Array> {
    return simRequest(this.#ctx, this.#state, peer, method, body, options);
  }

  send(peer: PeerRef, topic: string, payload: Uint8Array): void {
    simSend(this.#ctx, this.#state, peer, topic, payload);
  }

  onDatagram(topic: string, handler: DatagramHandler): void {
    if (this.#state.topics.has(topic)) {
      throw new SimError('DUPLICATE_HANDLER', `${this.self.id} already listens on ${topic}`);
    }
    this.#state.topics.set(topic, handler);
  }

  offDatagram(topic: string): void {
    this.#state.topics.delete(topic);
  }

  /**
   * The process dies: its handlers are gone (a restarted process registers its own), its requests fail CLOSED,
   * handlers running in it see their signal abort, and requests to it fail UNAVAILABLE.
   */
  kill(): void {
    const state = this.#state;
    if (!state.alive) return;
    state.alive = false;
    state.incarnation += 1;
    state.handlers.clear();
    state.topics.clear();
    emit(this.#ctx, { kind: 'kill', from: this.self.id, to: this.self.id, name: '' });
    failCallsOfKilled(this.#ctx, state);
  }

  /** A fresh process on the same identity, with no handlers until the node registers them again. */
  restart(): void {
    if (this.#state.alive) return;
    this.#state.alive = true;
    emit(this.#ctx, { kind: 'restart', from: this.self.id, to: this.self.id, name: '' });
  }
}
