/**
 * Transaction intake: a client's `manager/submit` is admitted to the mempool against the last final state and
 * forwarded once (one hop, fire-and-forget) to every other member on `manager/tx`, so whichever manager's block
 * wins holds every admissible transaction. Refusals are typed replies (rpc.ts), never transport errors.
 *
 * A member's forwarded transactions are queued and admitted a few at a time, each batch in its own turn of the
 * event loop (docs/manager.md "Intake"): a block's worth of them arrives at once after every final block, and
 * admitting them as they arrive (≈ 1 ms each, a signature check) held consensus messages queued behind them past
 * ACP's step timeouts. A compact block may name a queued transaction: `pending` gives its bytes (the block's
 * transaction root fixes them; applying the block checks them).
 */
import type { Ledger } from '../ledger/index.ts';
import { toHex } from '../crypto/index.ts';
import { txHash } from '../ledger/index.ts';
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
  /** Runs a task in a later turn of the event loop, after pending I/O (default setImmediate). */
  readonly defer?: (task: () => void) => void;
  /** Forwarded transactions admitted per turn (default 8). */
  readonly batch?: number;
  /** Forwarded transactions queued at most; beyond that they are admitted on arrival (default 20,000). */
  readonly maxQueued?: number;
  readonly logger?: NetLogger | undefined;
}

const defaultDefer = (task: () => void): void => void setImmediate(task);

export class TxIntake {
  readonly #o: IntakeOptions;
  /** Forwarded transactions waiting for admission, by hash (hex), in arrival order. */
  readonly #queue = new Map<string, Uint8Array>();
  #scheduled = false;
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
    this.#queue.clear();
    this.#o.rpc.unhandle(SUBMIT_METHOD);
    this.#o.rpc.unhandle(TX_GOSSIP_METHOD);
  }

  /** Forwarded transactions not admitted yet. */
  get queued(): number {
    return this.#queue.size;
  }

  /** A block holding this transaction was applied: admitting it would only find its nonce spent. */
  forget(hash: Uint8Array): void {
    if (this.#queue.size > 0) this.#queue.delete(toHex(hash));
  }

  /** The bytes of a forwarded transaction still waiting for admission. */
  pending(hash: Uint8Array): Uint8Array | undefined {
    return this.#queue.get(toHex(hash));
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
    if (this.#queue.size >= (this.#o.maxQueued ?? 20_000)) {
      if (this.#admit(tx)) this.#o.admitted?.();
    } else {
      this.#queue.set(toHex(txHash(tx)), tx);
      this.#schedule();
    }
    return new Uint8Array(0);
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.size === 0) return;
    this.#scheduled = true;
    (this.#o.defer ?? defaultDefer)(() => {
      this.#scheduled = false;
      if (!this.#running) return;
      let admitted = false;
      let left = this.#o.batch ?? 8;
      for (const [hex, tx] of this.#queue) {
        if (left-- === 0) break;
        this.#queue.delete(hex);
        admitted = this.#admit(tx) || admitted;
      }
      if (admitted) this.#o.admitted?.();
      this.#schedule();
    });
  }

  /** Admits a member's transaction; false when it was refused. */
  #admit(tx: Uint8Array): boolean {
    try {
      const view = this.#o.ledger().finalView();
      this.#o.mempool.submit(tx, view, view.params(), this.#o.time());
      return true;
    } catch (error) {
      // Already pooled, or already applied here: nothing to do. Other refusals are the sender's problem; anything
      // else is logged, not thrown: this runs outside the request that brought the bytes.
      if (!(error instanceof ManagerError)) this.#o.logger?.warn({ err: error }, 'forwarded transaction not admitted');
      return false;
    }
  }
}
