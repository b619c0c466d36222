/** The block a manager proposes (as many pooled transactions as apply at its final head, within the size limit), and the proposer that builds it for each round. */
import { toHex } from '../crypto/index.ts';
import type { AcpValue } from '../consensus/reactor.ts';
import type { Block, Certificate, Ledger } from '../ledger/index.ts';
import type { Clock, ClockTimer, NetLogger } from '../net/index.ts';
import type { Mempool } from './mempool.ts';

/**
 * Builds a 'final' block at the ledger's head from the mempool, in its order (by nonce), within blockLimitBytes;
 * the proposer is also the only leader; `parentCertificate` is the head's ledger certificate when this manager has
 * gathered it (it pays the head's verifiers), else empty (docs/manager.md "Certificates").
 * Transactions that do not apply in order — a nonce ahead of a predecessor not yet applied, a fee its signer can
 * no longer pay — are left out by the ledger (one pass) and stay pooled. Undefined when nothing applies.
 */
export function buildBlock(
  ledger: Ledger,
  mempool: Mempool,
  proposer: Uint8Array,
  time: bigint,
  parentCertificate: Certificate,
  logger?: NetLogger,
  limit = ledger.finalView().params().blockLimitBytes,
): Block | undefined {
  let bytes = 0n;
  const txs: Uint8Array[] = [];
  for (const p of mempool.candidates()) {
    if (bytes + BigInt(p.bytes.length) > limit) continue;
    bytes += BigInt(p.bytes.length);
    txs.push(p.bytes);
  }
  if (txs.length === 0) return undefined;
  try {
    const draft = { txs, time, round: 0n, kind: 'final' as const, proposer, leaders: [proposer], parentCertificate };
    const block = ledger.propose(draft, { select: true });
    return block.txs.length === 0 ? undefined : block;
  } catch (error) {
    logger?.warn({ err: error }, 'could not build a block');
    return undefined;
  }
}

/** Whether a pooled transaction had to be left out for want of room: then a bigger pool builds the same block. */
function isFull(block: Block, mempool: Mempool, limit: bigint): boolean {
  // The ledger keeps the draft's byte arrays: the pooled ones, so identity tells what is in the block.
  const inBlock = new Set(block.txs);
  const size = block.txs.reduce((n, tx) => n + BigInt(tx.length), 0n);
  return mempool.candidates().some((p) => !inBlock.has(p.bytes) && size + BigInt(p.bytes.length) > limit);
}

/**
 * How long after applying a block a proposer waits for that block's ledger certificate before building on it
 * without one (the certificate pays the block's verifiers; on loopback it takes a few milliseconds).
 */
export const CERT_WAIT_MS = 100;

/** The value proposed with an empty mempool: decided, it changes nothing. */
export const NOTHING = new Uint8Array(32);

export interface ProposerOptions {
  readonly clock: Clock;
  readonly mempool: Mempool;
  /** This manager's node key (the header's proposer and only leader). */
  readonly proposer: Uint8Array;
  /** The ledger certificate of an applied block, once gathered. */
  readonly certificate: (hash: Uint8Array) => Certificate | undefined;
  /** Block time for the next block. */
  readonly time: () => bigint;
  /** Ask consensus for the value again (the head's certificate arrived, or the wait ran out). */
  readonly refresh: () => void;
  readonly logger?: NetLogger | undefined;
}

/** Builds the value this manager proposes for a round, and remembers it while nothing changed. */
export class Proposer {
  readonly #o: ProposerOptions;
  #appliedAt = 0;
  #timer: ClockTimer | undefined;
  #last: { readonly key: string; readonly head: string; readonly full: boolean; readonly value: AcpValue } | undefined;
  proposed = 0;

  constructor(options: ProposerOptions) {
    this.#o = options;
  }

  /** A block was applied: its certificate is awaited for CERT_WAIT_MS. */
  applied(): void {
    this.#appliedAt = this.#o.clock.now();
  }

  reset(): void {
    this.#last = undefined;
  }

  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The block to propose at `ledger`'s head (`broadcast` stores and pushes it, giving its hash): as many pooled
   * transactions as apply, within the limit; NOTHING with an empty pool or when this member does not build this
   * round (`builds`, see turn.ts); undefined while the head's certificate is still expected. `genesisHead`: the
   * head is the genesis (it has no certificate to wait for). `limitBytes` caps the block below the ledger's limit.
   */
  value(ledger: Ledger, genesisHead: boolean, broadcast: (block: Block) => Uint8Array, builds = true, limitBytes?: bigint): AcpValue | undefined {
    const { mempool, clock } = this.#o;
    if (mempool.size === 0 || !builds) return { valueHash: NOTHING, size: 0 };
    const parentCertificate = this.#o.certificate(ledger.headHash);
    if (parentCertificate === undefined && !genesisHead) {
      const waited = clock.now() - this.#appliedAt;
      if (waited < CERT_WAIT_MS) {
        this.#o.logger?.debug({ waited }, 'waiting for the head certificate');
        this.#timer ??= clock.setTimeout(() => {
          this.#timer = undefined;
          this.#o.refresh();
        }, CERT_WAIT_MS - waited);
        return undefined;
      }
    }
    // Nothing changed since the last build (same head, certificate and pool): propose the same block again. The
    // same when only the pool changed but the last block was full: more transactions would not fit in it (and it
    // keeps its transactions: they leave the pool only when a block holding them is applied, a new head).
    // The cap is not part of the key: a backup's capped block that was full is proposed again when the member is
    // the next round's primary on the same head (members hold that body already; a rebuild would only race it).
    const limit = limitBytes ?? ledger.finalView().params().blockLimitBytes;
    const head = `${toHex(ledger.headHash)}/${parentCertificate === undefined ? 0 : 1}`;
    const key = `${head}/${mempool.version}/${limit}`;
    if (this.#last?.key !== key && !(this.#last?.full === true && this.#last.head === head)) {
      const block = buildBlock(ledger, mempool, this.#o.proposer, this.#o.time(), parentCertificate ?? [], this.#o.logger, limit);
      if (block === undefined) {
        this.#last = { key, head, full: false, value: { valueHash: NOTHING, size: 0 } };
      } else {
        this.proposed += 1;
        const size = block.txs.reduce((n, tx) => n + tx.length, 0);
        const full = isFull(block, mempool, limit);
        this.#last = { key, head, full, value: { valueHash: broadcast(block), size } };
      }
    }
    return this.#last.value;
  }
}
