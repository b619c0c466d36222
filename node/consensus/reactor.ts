/**
 * The consensus reactor (CometBFT's term): carries one consensus state machine's messages and timers over the
 * network — ACP's `AcpNode` on method `acp/msg`, or any other `ConsensusNode` (the PBFT baseline on `pbft/msg`)
 * given its message codec. The state machine stays pure; the reactor feeds it `start`, `value`, `message` and
 * `timer` events and carries out its outputs — broadcast and send as RLDP requests on the protocol's method
 * (fire-and-forget with a deadline: failures are logged, never thrown; the protocols cope with lost messages by
 * their own recovery), timers on the injected clock, decisions to the caller. Incoming requests are accepted only
 * from ring members, and a message that names its sender must name the authenticated caller (the PeerId noise
 * proved), so an unsigned `sync` or `status` cannot be sent in another member's name.
 */
import {
  NetError,
  type Clock,
  type ClockTimer,
  type NetLogger,
  type PeerRef,
  type RequestContext,
  type Rpc,
} from '../net/index.ts';
import type { AcpNode } from './acp/node.ts';
import { decodeAcpMessage, encodeAcpMessage } from './codec.ts';
import { ConsensusError } from './errors.ts';
import type { AcpMessage, ConsensusEvent, ConsensusNode, ConsensusOutput, Decide, Hash } from './types.ts';

/** The RLDP method every ACP message travels on: the body is one `encodeAcpMessage`, the reply is empty. */
export const ACP_METHOD = 'acp/msg';
/** Default deadline of one transmission: a message later than the barrier SBR (2 s) is of no more use. */
export const DEFAULT_ACP_SEND_TIMEOUT_MS = 2_000;

/** The application's value for a round: an opaque hash and its transaction bytes. */
export interface AcpValue {
  readonly valueHash: Hash;
  readonly size: number;
}

/** How one protocol's messages travel: its RLDP method, its codec and the sender a message names. */
export interface MessageCodec<M> {
  readonly method: string;
  encode(message: M): Uint8Array;
  /** Decodes untrusted bytes; throws on anything malformed. */
  decode(bytes: Uint8Array): M;
  /** The member a message says it comes from (checked against the caller), undefined when it names none. */
  sender(message: M): number | undefined;
}

export const ACP_CODEC: MessageCodec<AcpMessage> = {
  method: ACP_METHOD,
  encode: encodeAcpMessage,
  decode: decodeAcpMessage,
  sender: (m) => ('from' in m ? m.from : undefined),
};

/** A state machine the reactor can drive: it also tells the height of the round (or height) it is in. */
export interface ReactorNode<M> extends ConsensusNode<M> {
  readonly height: number;
}

interface ReactorCommon {
  readonly rpc: Rpc;
  readonly clock: Clock;
  /** Index → the member's peer (index `node.index` is this server). */
  readonly peers: readonly PeerRef[];
  /**
   * The application's value for the round `height` the node has just entered (asked whenever its height changes,
   * and on `refreshValue`). `undefined`: not ready yet (e.g. a decided block is still being fetched and applied);
   * the application calls `refreshValue()` once it is, and the node proposes if its proposal wait has not ended.
   */
  readonly nextValue: (height: number) => AcpValue | undefined;
  readonly onDecide: (decide: Decide) => void;
  readonly logger?: NetLogger;
  /** Deadline of one transmission (default 2 s). */
  readonly sendTimeoutMs?: number;
}

/** The ACP reactor's options (method `acp/msg`). */
export interface ReactorOptions extends ReactorCommon {
  readonly node: AcpNode;
}

/** Any protocol: its node and codec. */
export interface ConsensusReactorOptions<M> extends ReactorCommon {
  readonly node: ReactorNode<M>;
  readonly codec: MessageCodec<M>;
  /**
   * The node uses one value per round, the first it is given (ACP proposes once per round, as soon as it has its
   * round's value): once `nextValue` gave one for the current round, `refreshValue` does not ask again until the
   * node enters another round — a value built then would be thrown away. Default false: every refresh asks.
   */
  readonly oneValuePerRound?: boolean;
}

export interface ReactorStats {
  /** Messages accepted and handed to the node. */
  readonly received: number;
  /** Requests refused: malformed body, non-member caller, or a sender field that is not the caller. */
  readonly rejected: number;
  /** Transmissions started (one per recipient). */
  readonly sent: number;
  /** Transmissions that failed or timed out. */
  readonly failed: number;
}

export interface Reactor {
  /** Registers the protocol's method, gives the node its first value and starts it. */
  start(): void;
  /** Unregisters the method and cancels every timer; outputs are no longer carried out. */
  stop(): void;
  stats(): ReactorStats;
  /** Asks `nextValue` again for the node's current round (the application's value became ready). */
  refreshValue(): void;
}

/** The ACP reactor: `createConsensusReactor` with ACP's codec on `acp/msg`, one value per round. */
export function createReactor(options: ReactorOptions): Reactor {
  return new ConsensusReactor<AcpMessage>({ ...options, codec: ACP_CODEC, oneValuePerRound: true });
}

export function createConsensusReactor<M>(options: ConsensusReactorOptions<M>): Reactor {
  return new ConsensusReactor(options);
}

const EMPTY = new Uint8Array(0);

class ConsensusReactor<M> implements Reactor {
  readonly #o: ConsensusReactorOptions<M>;
  readonly #method: string;
  readonly #indexOf = new Map<string, number>();
  readonly #timers = new Map<string, ClockTimer>();
  /** Peers whose last transmission failed: logged once at warn when they start failing. */
  readonly #failing = new Set<number>();
  #state: 'new' | 'running' | 'stopped' = 'new';
  /** The round the node was last given a value for (`oneValuePerRound`). */
  #valued: number | undefined;
  #received = 0;
  #rejected = 0;
  #sent = 0;
  #failed = 0;

  constructor(options: ConsensusReactorOptions<M>) {
    const self = options.peers[options.node.index];
    if (self === undefined) throw new ConsensusError('BAD_CONFIG', 'no peer for this node index');
    options.peers.forEach((p, i) => {
      if (this.#indexOf.has(p.id)) throw new ConsensusError('BAD_CONFIG', `peer ${p.id} listed twice`);
      this.#indexOf.set(p.id, i);
    });
    this.#o = options;
    this.#method = options.codec.method;
  }

  start(): void {
    if (this.#state !== 'new') throw new ConsensusError('BAD_CONFIG', 'a reactor is started once');
    if (this.#o.rpc.self.id !== this.#o.peers[this.#o.node.index]!.id) {
      throw new ConsensusError('BAD_CONFIG', 'peers[node.index] is not this host');
    }
    this.#state = 'running';
    this.#o.rpc.handle(this.#method, (body, ctx) => this.#onRequest(body, ctx));
    this.#offerValue(1);
    this.#dispatch({ kind: 'start' });
  }

  stop(): void {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    this.#o.rpc.unhandle(this.#method);
    for (const t of this.#timers.values()) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
  }

  refreshValue(): void {
    this.#offerValue(this.#o.node.height);
  }

  #offerValue(height: number): void {
    if (this.#state !== 'running' || (this.#o.oneValuePerRound === true && this.#valued === height)) return;
    const value = this.#o.nextValue(height);
    if (value === undefined) return;
    this.#valued = height;
    this.#dispatch({ kind: 'value', ...value, height });
  }

  stats(): ReactorStats {
    return { received: this.#received, rejected: this.#rejected, sent: this.#sent, failed: this.#failed };
  }

  async #onRequest(body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    if (this.#state !== 'running') throw new NetError('UNAVAILABLE', 'the consensus reactor is stopped');
    const from = this.#indexOf.get(ctx.peer);
    if (from === undefined || from === this.#o.node.index) {
      this.#rejected += 1;
      throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    }
    let message: M;
    try {
      message = this.#o.codec.decode(body);
    } catch (cause) {
      this.#rejected += 1;
      throw new NetError('BAD_REQUEST', (cause as Error).message);
    }
    const named = this.#o.codec.sender(message);
    if (named !== undefined && named !== from) {
      this.#rejected += 1;
      throw new NetError('BAD_REQUEST', `message names member ${named}, the caller is member ${from}`);
    }
    this.#received += 1;
    this.#dispatch({ kind: 'message', message });
    return EMPTY;
  }

  /** One event into the node, then its outputs, in order; mirrors the simulator's carryOut. */
  #dispatch(event: ConsensusEvent<M>): void {
    if (this.#state !== 'running') return;
    const before = this.#o.node.height;
    let outputs: ConsensusOutput<M>[];
    try {
      outputs = this.#o.node.handle(event);
    } catch (err) {
      this.#o.logger?.warn({ err, event: event.kind, method: this.#method }, 'consensus node failed to handle an event');
      return;
    }
    for (const output of outputs) {
      if (this.#state !== 'running') return;
      this.#carryOut(output);
    }
    // A new round: its value is asked for after the outputs (decisions) are carried out, so a block decided in
    // this batch is the head the application builds on.
    if (this.#o.node.height !== before) this.#offerValue(this.#o.node.height);
  }

  #carryOut(output: ConsensusOutput<M>): void {
    switch (output.kind) {
      case 'broadcast': {
        const bytes = this.#o.codec.encode(output.message);
        for (let i = 0; i < this.#o.peers.length; i++) if (i !== this.#o.node.index) this.#transmit(i, bytes);
        return;
      }
      case 'send':
        if (output.to !== this.#o.node.index) this.#transmit(output.to, this.#o.codec.encode(output.message));
        return;
      case 'set-timer': {
        const { name, height, epoch } = output;
        const key = `${name}/${height}`;
        const previous = this.#timers.get(key);
        if (previous !== undefined) this.#o.clock.clearTimeout(previous);
        const timer = this.#o.clock.setTimeout(() => {
          if (this.#timers.get(key) === timer) this.#timers.delete(key);
          this.#dispatch({ kind: 'timer', name, height, epoch });
        }, output.delayMs);
        this.#timers.set(key, timer);
        return;
      }
      case 'decide':
        try {
          this.#o.onDecide(output);
        } catch (err) {
          this.#o.logger?.warn({ err, height: output.height, method: this.#method }, 'consensus onDecide threw');
        }
        return;
    }
  }

  #transmit(to: number, bytes: Uint8Array): void {
    const peer = this.#o.peers[to];
    if (peer === undefined) return;
    this.#sent += 1;
    const timeoutMs = this.#o.sendTimeoutMs ?? DEFAULT_ACP_SEND_TIMEOUT_MS;
    this.#o.rpc.request(peer, this.#method, bytes, { timeoutMs }).then(
      () => {
        if (this.#failing.delete(to)) {
          this.#o.logger?.info({ member: to, peer: peer.id, method: this.#method }, 'consensus member reachable again');
        }
      },
      (err: unknown) => {
        this.#failed += 1;
        if (this.#state !== 'running') return;
        if (this.#failing.has(to)) this.#o.logger?.debug({ member: to, err, method: this.#method }, 'consensus message not delivered');
        else {
          this.#failing.add(to);
          this.#o.logger?.warn({ member: to, peer: peer.id, err, method: this.#method }, 'consensus member unreachable');
        }
      },
    );
  }
}
