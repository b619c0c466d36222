/**
 * The manager's pool of admitted transactions, waiting to be proposed. Admission is the ledger's own checkTx
 * against the last final state, except that an account's or a manager's own transaction may run ahead of its
 * signer's nonce by up to `maxNonceAhead` (its signature is checked first, so a BAD_NONCE means the signature held):
 * a client can submit nonces n, n+1, … to different managers before any of them is in a block, and a manager's
 * duties (reports, attachments, promotions) several between two blocks. Duplicates — the same transaction, or
 * another one for the same (signer, nonce) slot — are refused. Transactions leave when a block holding them is
 * applied, or when their nonce is spent (prune).
 */
import { toHex, type VerifySig } from '../crypto/index.ts';
import {
  checkTx,
  decodeWith,
  LedgerError,
  type LedgerParams,
  signerClassOf,
  signerWith,
  type StateView,
  type Tx,
  txHash,
  type TxMemo,
} from '../ledger/index.ts';
import { ManagerError } from './errors.ts';

export interface PooledTx {
  readonly hash: Uint8Array;
  readonly bytes: Uint8Array;
  readonly tx: Tx;
  /** The (signer, nonce) slot's signer part. */
  readonly slot: string;
}

export interface MempoolOptions {
  /** Default 10,000. */
  readonly maxTxs?: number;
  /** How far past its signer's nonce an account transaction may be (default 64). */
  readonly maxNonceAhead?: bigint;
  /** Signature checks (default: the ledger's, verifying every time). */
  readonly verify?: VerifySig;
  /** Decoded transactions shared with the ledger (default: none). */
  readonly memo?: TxMemo;
}

function slotOf(tx: Tx, memo: TxMemo | undefined): string {
  const cls = signerClassOf(tx.kind);
  return cls === 'account' ? `a:${signerWith(memo, tx)}` : `${cls}:${toHex(tx.signer.key)}`;
}

function expectedNonce(view: StateView, tx: Tx, memo: TxMemo | undefined): bigint {
  const cls = signerClassOf(tx.kind);
  if (cls === 'account') return view.account(signerWith(memo, tx)).nonce;
  if (cls === 'manager') return view.node(tx.signer.key)?.nonce ?? 0n;
  return view.chain().govNonce;
}

export class Mempool {
  readonly #byHash = new Map<string, PooledTx>();
  readonly #slots = new Set<string>();
  readonly #maxTxs: number;
  readonly #maxAhead: bigint;
  readonly #verify: VerifySig | undefined;
  readonly #memo: TxMemo | undefined;
  #version = 0;

  constructor(options: MempoolOptions = {}) {
    this.#maxTxs = options.maxTxs ?? 10_000;
    this.#maxAhead = options.maxNonceAhead ?? 64n;
    this.#verify = options.verify;
    this.#memo = options.memo;
  }

  /** Changes whenever a transaction is added or removed. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#byHash.size;
  }

  has(hash: Uint8Array): boolean {
    return this.#byHash.has(toHex(hash));
  }

  /** The pooled transaction of this hash (compact block bodies are rebuilt from it: block-pool.ts). */
  get(hash: Uint8Array): PooledTx | undefined {
    return this.#byHash.get(toHex(hash));
  }

  /** Admits an encoded transaction against `view` (the last final state) at `time`; returns its hash. */
  submit(bytes: Uint8Array, view: StateView, params: LedgerParams, time: bigint): Uint8Array {
    const hash = txHash(bytes);
    let tx: Tx;
    try {
      tx = decodeWith(this.#memo, bytes, Number(params.maxTxBytes), hash);
    } catch (cause) {
      throw rejected(cause);
    }
    const hex = toHex(hash);
    if (this.#byHash.has(hex)) throw new ManagerError('DUPLICATE', `transaction ${hex} is already pooled`);
    let slot: string;
    try {
      slot = slotOf(tx, this.#memo);
    } catch (cause) {
      throw rejected(cause);
    }
    if (this.#slots.has(`${slot}/${tx.nonce}`)) {
      throw new ManagerError('DUPLICATE', `a transaction with nonce ${tx.nonce} of this signer is already pooled`);
    }
    if (this.#byHash.size >= this.#maxTxs) throw new ManagerError('MEMPOOL_FULL', `${this.#maxTxs} transactions pooled`);
    try {
      checkTx(view, params, view.chain(), time, tx, bytes.length, this.#verify, this.#memo);
    } catch (cause) {
      const ahead =
        cause instanceof LedgerError &&
        cause.code === 'BAD_NONCE' &&
        (signerClassOf(tx.kind) === 'account' || signerClassOf(tx.kind) === 'manager') &&
        tx.nonce > expectedNonce(view, tx, this.#memo) &&
        tx.nonce <= expectedNonce(view, tx, this.#memo) + this.#maxAhead;
      if (!ahead) throw rejected(cause);
    }
    this.#byHash.set(hex, { hash, bytes, tx, slot });
    this.#slots.add(`${slot}/${tx.nonce}`);
    this.#version += 1;
    return hash;
  }

  /** The pooled transactions in proposal order: by nonce, then by arrival. */
  candidates(): PooledTx[] {
    return [...this.#byHash.values()].sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : a.tx.nonce > b.tx.nonce ? 1 : 0));
  }

  remove(hash: Uint8Array): void {
    const hex = toHex(hash);
    const p = this.#byHash.get(hex);
    if (p === undefined) return;
    this.#byHash.delete(hex);
    this.#slots.delete(`${p.slot}/${p.tx.nonce}`);
    this.#version += 1;
  }

  /** Drops every transaction whose nonce `view` (a newer final state) has already spent. */
  prune(view: StateView): void {
    for (const p of [...this.#byHash.values()]) if (p.tx.nonce < expectedNonce(view, p.tx, this.#memo)) this.remove(p.hash);
  }
}

function rejected(cause: unknown): ManagerError {
  if (cause instanceof ManagerError) return cause;
  if (cause instanceof LedgerError) return new ManagerError('REJECTED', cause.message, { reason: cause.code, cause });
  return new ManagerError('REJECTED', (cause as Error).message, { cause });
}
