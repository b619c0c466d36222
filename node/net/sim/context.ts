/** What the simulated network's parts share: its peers, their calls in flight, the clock, links and counters. */
import type { NetError } from '../errors.ts';
import type { ClockTimer, DatagramHandler, PeerRef, RequestHandler } from '../types.ts';
import type { SimClock } from './clock.ts';
import type { Links } from './links.ts';
import type { SeededRandom } from './random.ts';

export interface PeerState {
  readonly ref: PeerRef;
  alive: boolean;
  /** Bumped on every kill: replies and deliveries meant for an earlier life of the process are dropped. */
  incarnation: number;
  readonly handlers: Map<string, RequestHandler>;
  readonly topics: Map<string, DatagramHandler>;
  /** Requests it sent that have not settled. */
  readonly outgoing: Set<Call>;
  /** Requests sent to it that have not settled. */
  readonly incoming: Set<Call>;
}

export interface Call {
  readonly from: PeerState;
  readonly fromIncarnation: number;
  /** undefined: the id names no peer of the network. */
  readonly to: PeerState | undefined;
  readonly toId: string;
  readonly toIncarnation: number;
  readonly method: string;
  readonly deadline: number;
  /** The target was dead, cut off or unknown: the deadline then fails the call UNAVAILABLE, not TIMEOUT. */
  unreachable: boolean;
  settled: boolean;
  /** The handler has produced its outcome (so its signal no longer needs aborting). */
  answered: boolean;
  timer: ClockTimer | undefined;
  handlerAbort: AbortController | undefined;
  detachSignal: (() => void) | undefined;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: NetError) => void;
}

export type DeadPeerMode = 'deadline' | 'immediate';

export interface SimStats {
  requests: number;
  replies: number;
  remoteErrors: number;
  timeouts: number;
  unavailable: number;
  datagramsSent: number;
  datagramsDelivered: number;
  datagramsLost: number;
}

export type TraceKind =
  | 'request' // a request left its caller
  | 'deliver' // a request reached its handler
  | 'settle' // a request's promise settled (detail: 'ok' or the error code)
  | 'datagram' // a datagram was sent (detail: 'lost' when it never arrives)
  | 'datagram-delivered'
  | 'kill'
  | 'restart';

export interface TraceEvent {
  readonly time: number;
  readonly kind: TraceKind;
  readonly from: string;
  readonly to: string;
  /** Method or topic. */
  readonly name: string;
  readonly detail?: string;
}

export interface SimContext {
  readonly clock: SimClock;
  readonly random: SeededRandom;
  readonly links: Links;
  readonly peers: Map<string, PeerState>;
  readonly stats: SimStats;
  readonly deadPeer: DeadPeerMode;
  readonly defaultTimeoutMs: number;
  readonly maxMessageSize: number;
  readonly maxDatagramSize: number;
  readonly loss: number;
  readonly onHandlerError: ((error: unknown, where: { peer: string; topic: string }) => void) | undefined;
  readonly trace: ((event: TraceEvent) => void) | undefined;
}

export function emit(ctx: SimContext, event: Omit<TraceEvent, 'time'>): void {
  ctx.trace?.({ time: ctx.clock.now(), ...event });
}
