/**
 * A ledger over one store: genesis, proposing (computing a block's state root), applying blocks. Final and empty
 * blocks execute on a fork of the main line that is merged once the root matches; tentative blocks stay on a
 * branch until a final successor confirms them (merge) or a final block on the main line orphans them (drop).
 * Each application forks from main and replays the pending tentative blocks, so a refused block never leaves a
 * trace. The head block's hash is held here (a state cannot hold the hash of the block that commits to it).
 */
import type { Branch, Store } from '../store/index.ts';
import { applyBlock, type BlockResult } from './apply-block.ts';
import { type Block, type BlockKind, certificateHash, type Certificate, headerHash, txRoot } from './block.ts';
import { type GenesisConfig, writeGenesis } from './genesis.ts';
import { type CertificateKind, checkRecoveryEffect, verifyBlockCertificate } from './recovery.ts';
import { StateView } from './state.ts';
import { txHash } from './tx.ts';

export interface BlockDraft {
  readonly txs: readonly Uint8Array[];
  readonly time: bigint;
  readonly round: bigint;
  readonly kind: BlockKind;
  readonly proposer: Uint8Array;
  readonly leaders: readonly Uint8Array[];
  readonly parentCertificate: Certificate;
}

interface Pending {
  readonly blocks: Block[];
  readonly branch: Branch;
  readonly hash: Uint8Array;
}

export class Ledger {
  readonly #store: Store;
  #mainHash: Uint8Array;
  #pending: Pending | undefined;

  private constructor(store: Store, headHash: Uint8Array) {
    this.#store = store;
    this.#mainHash = headHash;
    this.#pending = undefined;
  }

  /** Writes the genesis on an empty store. */
  static create(store: Store, genesis: GenesisConfig): Ledger {
    const { chainId } = writeGenesis(store, genesis);
    return new Ledger(store, chainId);
  }

  /** A ledger over a store that already holds a chain whose last final block has hash `headHash`. */
  static open(store: Store, headHash: Uint8Array): Ledger {
    StateView.over(store).chain();
    for (const branch of store.branches()) branch.drop();
    return new Ledger(store, headHash);
  }

  /** Hash of the tip (the last tentative block, else the last final one). */
  get headHash(): Uint8Array {
    return this.#pending?.hash ?? this.#mainHash;
  }

  /** The state at the tip (tentative blocks included) — read-only use. */
  view(): StateView {
    return StateView.over(this.#pending?.branch ?? this.#store);
  }

  /** The state of the last final block. */
  finalView(): StateView {
    return StateView.over(this.#store);
  }

  get pendingTentative(): number {
    return this.#pending?.blocks.length ?? 0;
  }

  #forkAtTip(): Branch {
    const branch = this.#store.fork();
    try {
      let parent = this.#mainHash;
      for (const block of this.#pending?.blocks ?? []) {
        applyBlock(branch, block, { parentHash: parent });
        parent = headerHash(block.header);
      }
    } catch (error) {
      branch.drop();
      throw error;
    }
    return branch;
  }

  /** The block a proposer would make from `draft` at the tip, with its state root (no certificate yet). */
  propose(draft: BlockDraft): Block {
    const chain = this.view().chain();
    const header = {
      chain: chain.chainId,
      height: chain.height + 1n,
      prevHash: this.headHash,
      round: draft.round,
      stateRoot: new Uint8Array(32),
      txRoot: txRoot(draft.txs.map(txHash)),
      time: draft.time,
      kind: draft.kind,
      proposer: draft.proposer,
      leaders: draft.leaders,
      parentCertHash: certificateHash(draft.parentCertificate),
    };
    const block: Block = { header, certificate: [], parentCertificate: draft.parentCertificate, txs: draft.txs };
    const branch = this.#forkAtTip();
    try {
      const result = applyBlock(branch, block, { checkRoot: false, parentHash: this.headHash });
      return { ...block, header: { ...header, stateRoot: result.stateRoot } };
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
    return verifyBlockCertificate(headerHash(block.header), block.certificate, block.txs, view.managers().keys, view.governance());
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
      result = applyBlock(branch, block, { parentHash: this.headHash });
      if (kind === 'recovery') checkRecoveryEffect(block.txs, StateView.over(branch).managers().keys);
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
