/**
 * The ACP reactor (CometBFT's term): carries one AcpNode's messages and timers over the network. The state machine
 * stays pure; the reactor feeds it `start`, `value`, `message` and `timer` events and carries out its outputs —
 * broadcast and send as RLDP requests on method `acp/msg` (fire-and-forget with a deadline: failures are logged,
 * never thrown; ACP copes with lost messages by SBR, status and sync), timers on the injected clock, decisions to
 * the caller. Incoming requests are accepted only from ring members, and a message that names its sender must
 * name the authenticated caller (the PeerId noise proved), so an unsigned `sync` or `status` cannot be sent in
 * another member's name.
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
import type { AcpEvent, AcpMessage, AcpOutput, Decide, Hash } from './types.ts';

/** The RLDP method every ACP message travels on: the body is one `encodeAcpMessage`, the reply is empty. */
export const ACP_METHOD = 'acp/msg';
/** Default deadline of one transmission: a message later than the barrier SBR (2 s) is of no more use. */
export const DEFAULT_ACP_SEND_TIMEOUT_MS = 2_000;

export interface AcpValue {
  readonly valueHash: Hash;
  readonly size: number;
}

export interface ReactorOptions {
  readonly node: AcpNode;
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
  /** Registers `acp/msg`, gives the node its first value and starts it. */
  start(): void;
  /** Unregisters the method and cancels every timer; outputs are no longer carried out. */
  stop(): void;
  stats(): ReactorStats;
  /** Asks `nextValue` again for the node's current round (the application's value became ready). */
  refreshValue(): void;
}

export function createReactor(options: ReactorOptions): Reactor {
  return new AcpReactor(options);
}

const EMPTY = new Uint8Array(0);

class AcpReactor implements Reactor {
  readonly #o: ReactorOptions;
  readonly #indexOf = new Map<string, number>();
  readonly #timers = new Map<string, ClockTimer>();
  /** Peers whose last transmission failed: logged once at warn when they start failing. */
  readonly #failing = new Set<number>();
  #state: 'new' | 'running' | 'stopped' = 'new';
  #received = 0;
  #rejected = 0;
  #sent = 0;
  #failed = 0;

  constructor(options: ReactorOptions) {
    const self = options.peers[options.node.index];
    if (self === undefined) throw new ConsensusError('BAD_CONFIG', 'no peer for this node index');
    options.peers.forEach((p, i) => {
      if (this.#indexOf.has(p.id)) throw new ConsensusError('BAD_CONFIG', `peer ${p.id} listed twice`);
      this.#indexOf.set(p.id, i);
    });
    this.#o = options;
  }

  start(): void {
    if (this.#state !== 'new') throw new ConsensusError('BAD_CONFIG', 'a reactor is started once');
    if (this.#o.rpc.self.id !== this.#o.peers[this.#o.node.index]!.id) {
      throw new ConsensusError('BAD_CONFIG', 'peers[node.index] is not this host');
    }
    this.#state = 'running';
    this.#o.rpc.handle(ACP_METHOD, (body, ctx) => this.#onRequest(body, ctx));
    this.#offerValue(1);
    this.#dispatch({ kind: 'start' });
  }

  stop(): void {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    this.#o.rpc.unhandle(ACP_METHOD);
    for (const t of this.#timers.values()) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
  }

  refreshValue(): void {
    this.#offerValue(this.#o.node.height);
  }

  #offerValue(height: number): void {
    if (this.#state !== 'running') return;
    const value = this.#o.nextValue(height);
    if (value !== undefined) this.#dispatch({ kind: 'value', ...value, height });
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
    let message: AcpMessage;
    try {
      message = decodeAcpMessage(body);
    } catch (cause) {
      this.#rejected += 1;
      throw new NetError('BAD_REQUEST', (cause as Error).message);
    }
    if ('from' in message && message.from !== from) {
      this.#rejected += 1;
      throw new NetError('BAD_REQUEST', `message names member ${message.from}, the caller is member ${from}`);
    }
    this.#received += 1;
    this.#dispatch({ kind: 'message', message });
    return EMPTY;
  }

  /** One event into the node, then its outputs, in order; mirrors the simulator's carryOut. */
  #dispatch(event: AcpEvent): void {
    if (this.#state !== 'running') return;
    const before = this.#o.node.height;
    let outputs: AcpOutput[];
    try {
      outputs = this.#o.node.handle(event);
    } catch (err) {
      this.#o.logger?.warn({ err, event: event.kind }, 'acp node failed to handle an event');
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

  #carryOut(output: AcpOutput): void {
    switch (output.kind) {
      case 'broadcast': {
        const bytes = encodeAcpMessage(output.message);
        for (let i = 0; i < this.#o.peers.length; i++) if (i !== this.#o.node.index) this.#transmit(i, bytes);
        return;
      }
      case 'send':
        if (output.to !== this.#o.node.index) this.#transmit(output.to, encodeAcpMessage(output.message));
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
          this.#o.logger?.warn({ err, height: output.height }, 'acp onDecide threw');
        }
        return;
    }
  }

  #transmit(to: number, bytes: Uint8Array): void {
    const peer = this.#o.peers[to];
    if (peer === undefined) return;
    this.#sent += 1;
    const timeoutMs = this.#o.sendTimeoutMs ?? DEFAULT_ACP_SEND_TIMEOUT_MS;
    this.#o.rpc.request(peer, ACP_METHOD, bytes, { timeoutMs }).then(
      () => {
        if (this.#failing.delete(to)) this.#o.logger?.info({ member: to, peer: peer.id }, 'acp member reachable again');
      },
      (err: unknown) => {
        this.#failed += 1;
        if (this.#state !== 'running') return;
        if (this.#failing.has(to)) this.#o.logger?.debug({ member: to, err }, 'acp message not delivered');
        else {
          this.#failing.add(to);
          this.#o.logger?.warn({ member: to, peer: peer.id, err }, 'acp member unreachable');
        }
      },
    );
  }
}
