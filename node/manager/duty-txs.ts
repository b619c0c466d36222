/**
 * The transactions a manager signs with its node key for its duties (node-reports, attachments, promotions),
 * numbered from one counter. Each duty reading the node's nonce from the final state on its own would give two
 * duties running between two blocks the same nonce, and the pool would refuse the second.
 *
 * The next nonce is the final state's, or one past the last one this manager handed out while that is still
 * ahead. A transaction the pool refused, or one that does not land within `staleMs`, leaves a gap no later
 * transaction can pass, so the counter then starts again from the final state.
 */
import type { Ed25519KeyPair } from '../crypto/index.ts';
import { encodeSigned, type Ledger, signManagerTx, type TxBody, type TxKind } from '../ledger/index.ts';

export interface DutyTxsOptions {
  readonly nodeKey: Ed25519KeyPair;
  readonly ledger: () => Ledger | undefined;
  /** Hands a signed transaction to this manager's pool; throws when the pool refuses it. */
  readonly submit: (tx: Uint8Array) => unknown;
  readonly now: () => number;
  /** How long the final nonce may stay behind the counter before the counter starts again (default 30 s). */
  readonly staleMs?: number;
}

export class DutyTxs {
  readonly #o: DutyTxsOptions;
  #next: bigint | undefined;
  /** The final nonce the counter last saw move, and when. */
  #seen = { nonce: -1n, at: 0 };

  constructor(options: DutyTxsOptions) {
    this.#o = options;
  }

  /** This manager's node key. */
  get key(): Uint8Array {
    return this.#o.nodeKey.publicKey.bytes;
  }

  /**
   * Whether this node is an active manager in the final state (duties are done only then), with that state, so a
   * duty decides from the same view it would sign against.
   */
  active(): ReturnType<Ledger['finalView']> | undefined {
    const view = this.#o.ledger()?.finalView();
    const me = view?.node(this.key);
    return me !== undefined && me.role === 'manager' && me.status === 'active' ? view : undefined;
  }

  /**
   * Signs and submits one duty transaction; its bytes, or undefined when this node is no active manager. Throws
   * what the pool throws (the counter then starts again from the final state).
   */
  submit<K extends TxKind>(kind: K, body: TxBody<K>): Uint8Array | undefined {
    const view = this.active();
    if (view === undefined) return undefined;
    const final = view.node(this.key)!.nonce;
    const now = this.#o.now();
    if (final !== this.#seen.nonce) this.#seen = { nonce: final, at: now };
    const stale = this.#next !== undefined && this.#next > final && now - this.#seen.at > (this.#o.staleMs ?? 30_000);
    const nonce = this.#next === undefined || this.#next < final || stale ? final : this.#next;
    const tx = encodeSigned(signManagerTx({ chain: view.chain().chainId, kind, nonce, fee: 0n, body }, this.#o.nodeKey));
    try {
      this.#o.submit(tx);
    } catch (error) {
      this.#next = undefined;
      throw error;
    }
    this.#next = nonce + 1n;
    if (stale) this.#seen = { nonce: final, at: now };
    return tx;
  }
}
