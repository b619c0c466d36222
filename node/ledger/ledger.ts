/**
 * A ledger over one store: genesis, proposing (computing a block's state root), applying blocks. Final and empty
 * blocks execute on a fork of the main line that is merged once the root matches; tentative blocks stay on a
 * branch until a final successor confirms them (merge) or a final block on the main line orphans them (drop).
 * Each application forks from main and replays the pending tentative blocks, so a refused block never leaves a
 * trace. The head block's hash is held here (a state cannot hold the hash of the block that commits to it).
 */
import { verifyAny, type VerifySig } from '../crypto/index.ts';
import type { Branch, Store } from '../store/index.ts';
import { applyBlock, type BlockResult } from './apply-block.ts';
import { type Block, type BlockKind, certificateHash, type Certificate, headerHash, txRoot } from './block.ts';
import { type GenesisConfig, writeGenesis } from './genesis.ts';
import { RecordCache } from './record-cache.ts';
import { type CertificateKind, checkRecoveryEffect, verifyBlockCertificate } from './recovery.ts';
import { StateView } from './state.ts';
import { txHash } from './tx.ts';
import type { TxMemo } from './tx-memo.ts';

export interface BlockDraft {
  readonly txs: readonly Uint8Array[];
  readonly time: bigint;
  readonly round: bigint;
  readonly kind: BlockKind;
  readonly proposer: Uint8Array;
  readonly leaders: readonly Uint8Array[];
  readonly parentCertificate: Certificate;
}

export interface LedgerOptions {
  /**
   * Signature checks for every transaction, receipt and certificate the ledger executes. A manager passes its
   * SignatureCache's, so what admission verified is not verified again when it builds and applies blocks.
   */
  readonly verify?: VerifySig;
  /** Decoded transactions remembered by hash; a manager shares one with its mempool. */
  readonly memo?: TxMemo;
}

interface Pending {
  readonly blocks: Block[];
  readonly branch: Branch;
  readonly hash: Uint8Array;
}

export class Ledger {
  readonly #store: Store;
  readonly #verify: VerifySig;
  readonly #memo: TxMemo | undefined;
  /** Records decoded once per version for every view, proposal and application of this ledger. */
  readonly #records = new RecordCache();
  #mainHash: Uint8Array;
  #pending: Pending | undefined;

  private constructor(store: Store, headHash: Uint8Array, options: LedgerOptions) {
    this.#store = store;
    this.#verify = options.verify ?? verifyAny;
    this.#memo = options.memo;
    this.#mainHash = headHash;
    this.#pending = undefined;
  }

  /** Writes the genesis on an empty store. */
  static create(store: Store, genesis: GenesisConfig, options: LedgerOptions = {}): Ledger {
    const { chainId } = writeGenesis(store, genesis);
    return new Ledger(store, chainId, options);
  }

  /** A ledger over a store that already holds a chain whose last final block has hash `headHash`. */
  static open(store: Store, headHash: Uint8Array, options: LedgerOptions = {}): Ledger {
    StateView.over(store).chain();
    for (const branch of store.branches()) branch.drop();
    return new Ledger(store, headHash, options);
  }

  /** The signature check this ledger executes with (for admission against its states). */
  get verify(): VerifySig {
    return this.#verify;
  }

  /** Hash of the tip (the last tentative block, else the last final one). */
  get headHash(): Uint8Array {
    return this.#pending?.hash ?? this.#mainHash;
  }

  /** The state at the tip (tentative blocks included) — read-only use. */
  view(): StateView {
    return StateView.over(this.#pending?.branch ?? this.#store, this.#records);
  }

  /** The state of the last final block. */
  finalView(): StateView {
    return StateView.over(this.#store, this.#records);
  }

  get pendingTentative(): number {
    return this.#pending?.blocks.length ?? 0;
  }

  #forkAtTip(): Branch {
    const branch = this.#store.fork();
    try {
      let parent = this.#mainHash;
      for (const block of this.#pending?.blocks ?? []) {
        applyBlock(branch, block, { parentHash: parent, verify: this.#verify, memo: this.#memo, records: this.#records });
        parent = headerHash(block.header);
      }
    } catch (error) {
      branch.drop();
      throw error;
    }
    return branch;
  }

  /**
   * The block a proposer would make from `draft` at the tip, with its state root (no certificate yet). A draft
   * transaction that is not admissible in order — a nonce ahead of one not yet applied, a fee its signer can no
   * longer pay — makes it BAD_BLOCK naming `txs[i]`, or with `select` is left out (one pass).
   */
  propose(draft: BlockDraft, options: { readonly select?: boolean } = {}): Block {
    const chain = this.view().chain();
    const header = {
      chain: chain.chainId,
      height: chain.height + 1n,
      prevHash: this.headHash,
      round: draft.round,
      stateRoot: new Uint8Array(32),
      txRoot: new Uint8Array(32),
      time: draft.time,
      kind: draft.kind,
      proposer: draft.proposer,
      leaders: draft.leaders,
      parentCertHash: certificateHash(draft.parentCertificate),
    };
    const block: Block = { header, certificate: [], parentCertificate: draft.parentCertificate, txs: draft.txs };
    const branch = this.#forkAtTip();
    try {
      const result = applyBlock(branch, block, {
        select: options.select === true,
        checkRoot: false,
        parentHash: this.headHash,
        verify: this.#verify,
        memo: this.#memo,
        records: this.#records,
      });
      const txs = result.txs;
      return { ...block, txs, header: { ...header, txRoot: txRoot(txs.map(txHash)), stateRoot: result.stateRoot } };
    } finally {
      branch.drop();
    }
  }

  /**
   * Checks a block's own certificate against the state it extends: a quorum of its manager set, or a recovery
   * certificate (its governance keys' threshold) of a block holding a governance-signed reconfigure — whether
   * that reconfigure installs its set is checked by `apply` after execution. BAD_CERTIFICATE otherwise.
   */
  checkCertificate(block: Block): CertificateKind {
    const view = this.view();
    return verifyBlockCertificate(
      headerHash(block.header),
      block.certificate,
      block.txs,
      view.managers().keys,
      view.governance(),
      this.#verify,
    );
  }

  /**
   * Applies a block at the tip. Final and empty blocks need a certificate (unless `certified` is false, for tests
   * and replays of blocks already checked) and make everything up to them final. A recovery-certified block must
   * leave the manager set its last governance reconfigure names (BAD_CERTIFICATE otherwise).
   */
  apply(block: Block, options: { readonly certified?: boolean } = {}): BlockResult {
    const certified = block.header.kind !== 'tentative' && options.certified !== false;
    const kind = certified ? this.checkCertificate(block) : undefined;
    const branch = this.#forkAtTip();
    let result: BlockResult;
    try {
      result = applyBlock(branch, block, { parentHash: this.headHash, verify: this.#verify, memo: this.#memo, records: this.#records });
      if (kind === 'recovery') checkRecoveryEffect(block.txs, StateView.over(branch, this.#records).managers().keys);
    } catch (error) {
      branch.drop();
      throw error;
    }
    const previous = this.#pending;
    if (block.header.kind === 'tentative') {
      previous?.branch.drop();
      this.#pending = { blocks: [...(previous?.blocks ?? []), block], branch, hash: result.hash };
      return result;
    }
    previous?.branch.drop();
    this.#pending = undefined;
    branch.merge();
    this.#mainHash = result.hash;
    return result;
  }

  /** Drops the pending tentative blocks (fork recovery chose another line). */
  dropTentative(): void {
    this.#pending?.branch.drop();
    this.#pending = undefined;
  }
}
