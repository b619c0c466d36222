/**
 * Transaction intake: a client's `manager/submit` is admitted to the mempool against the last final state and
 * forwarded once (one hop, fire-and-forget) to every other member on `manager/tx`, so whichever manager's block
 * wins holds every admissible transaction. Refusals are typed replies (rpc.ts), never transport errors.
 */
import type { Ledger } from '../ledger/index.ts';
import { NetError, type NetLogger, type PeerRef, type Rpc } from '../net/index.ts';
import { ManagerError } from './errors.ts';
import type { Mempool } from './mempool.ts';
import { encodeSubmitError, encodeSubmitOk, SUBMIT_METHOD, TX_GOSSIP_METHOD } from './rpc.ts';

export interface IntakeOptions {
  readonly rpc: Rpc;
  readonly mempool: Mempool;
  readonly ledger: () => Ledger;
  /** Block time for admission checks (never before the last block's time). */
  readonly time: () => bigint;
  /** The current members' peers (the era's). */
  readonly members: () => readonly PeerRef[];
  /** After a transaction entered the pool (a client's or a member's). */
  readonly admitted?: () => void;
  readonly logger?: NetLogger | undefined;
}

export class TxIntake {
  readonly #o: IntakeOptions;
  #running = false;

  constructor(options: IntakeOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#o.rpc.handle(SUBMIT_METHOD, async (body) => this.#submit(body));
    this.#o.rpc.handle(TX_GOSSIP_METHOD, async (body, ctx) => this.#gossiped(body, ctx.peer));
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#o.rpc.unhandle(SUBMIT_METHOD);
    this.#o.rpc.unhandle(TX_GOSSIP_METHOD);
  }

  /** Admits a transaction as a client's (used by `manager/submit` and by local callers such as the explorer API). */
  submit(tx: Uint8Array): Uint8Array {
    const view = this.#o.ledger().finalView();
    const hash = this.#o.mempool.submit(tx, view, view.params(), this.#o.time());
    this.#gossip(tx);
    this.#o.admitted?.();
    return hash;
  }

  #submit(body: Uint8Array): Uint8Array {
    try {
      return encodeSubmitOk(this.submit(body));
    } catch (error) {
      if (error instanceof ManagerError) return encodeSubmitError(error);
      throw error;
    }
  }

  #gossip(tx: Uint8Array): void {
    const { rpc } = this.#o;
    for (const peer of this.#o.members()) {
      if (peer.id === rpc.self.id) continue;
      rpc.request(peer, TX_GOSSIP_METHOD, tx, { timeoutMs: 2_000 }).catch((err: unknown) => {
        if (this.#running) this.#o.logger?.debug({ err, peer: peer.id }, 'transaction not gossiped');
      });
    }
  }

  #gossiped(tx: Uint8Array, from: string): Uint8Array {
    if (!this.#o.members().some((p) => p.id === from) || from === this.#o.rpc.self.id) {
      throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    }
    try {
      const view = this.#o.ledger().finalView();
      this.#o.mempool.submit(tx, view, view.params(), this.#o.time());
      this.#o.admitted?.();
    } catch (error) {
      // Already pooled, or already applied here: nothing to do. Other refusals are the sender's problem.
      if (!(error instanceof ManagerError)) throw error;
    }
    return new Uint8Array(0);
  }
}
