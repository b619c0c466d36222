/**
 * The block tree a node knows, and its fork choice. Each block is final (its own commit certificate, or an
 * ancestor of a final block: a tentative block is confirmed only by a final successor), prepared (a prepare
 * quorum: at most one such value per height when the committee has fewer than a third Byzantine), or neither
 * (an unprepared empty block, which every node that agrees on its parent computes alike).
 *
 * Fork choice (the recovery protocol, §2.2.4 Stage R): the branch through the highest prepared block that
 * descends from the highest final block, extended with empty blocks. Nodes that exchange their chains therefore
 * converge on one branch; a node that committed a value keeps it unless a final block elsewhere overrides it.
 */
import { toHex } from '../../crypto/index.ts';
import { emptyId, nextSeed } from '../sign-bytes.ts';
import type { Commit, Hash, Prepare, Proposal } from '../types.ts';

export interface BlockRecord {
  readonly id: Hash;
  readonly idHex: string;
  readonly height: number;
  readonly prev: Hash;
  readonly prevHex: string;
  readonly proposal?: Proposal;
  /** The proposer's VRF output on RS(height) (non-empty blocks). */
  readonly vrfOutput?: Uint8Array;
  /** RS(height): the seed this block's round ran on (unknown for an anchor the node started from). */
  readonly seed?: Hash;
  /** RS(height + 1). */
  readonly nextSeed: Hash;
  prepares?: readonly Prepare[];
  commits?: readonly Commit[];
  final: boolean;
}

type HashFn = (b: Uint8Array) => Hash;

/** A final block a node starts from instead of genesis: its height, id and RS(height + 1). */
export interface Anchor {
  readonly height: number;
  readonly id: Hash;
  /** RS(height + 1): the seed of the round after the anchor. */
  readonly seed: Hash;
}

/** The highest final non-empty block: its proposal and RS(its height) — the base of a checkpoint. */
export interface CheckpointBase {
  readonly proposal: Proposal;
  readonly seed: Hash;
}

export class BlockStore {
  readonly #blocks = new Map<string, BlockRecord>();
  readonly #hash: HashFn;
  /** Genesis, or the anchor the node started from: final, its ancestors unknown. */
  readonly root: BlockRecord;
  #bestFinal: BlockRecord;
  #base: CheckpointBase | undefined;

  /** Starts at genesis (RS(0) = `genesisSeed`), or at `anchor` when given. */
  constructor(genesisId: Hash, genesisSeed: Hash, hash: HashFn, anchor?: Anchor) {
    this.#hash = hash;
    const zero = new Uint8Array(32);
    const root: BlockRecord =
      anchor === undefined
        ? {
            id: genesisId,
            idHex: toHex(genesisId),
            height: 0,
            prev: zero,
            prevHex: toHex(zero),
            seed: genesisSeed,
            nextSeed: nextSeed(genesisSeed, undefined, 1, hash),
            final: true,
          }
        : { id: anchor.id, idHex: toHex(anchor.id), height: anchor.height, prev: zero, prevHex: toHex(zero), nextSeed: anchor.seed, final: true };
    this.#blocks.set(root.idHex, root);
    this.root = root;
    this.#bestFinal = root;
  }

  get(idHex: string): BlockRecord | undefined {
    return this.#blocks.get(idHex);
  }

  get bestFinal(): BlockRecord {
    return this.#bestFinal;
  }

  /** The highest final non-empty block this node knows (kept when pruned), or undefined. */
  get checkpointBase(): CheckpointBase | undefined {
    return this.#base;
  }

  /**
   * Makes a checked checkpoint the best final block (it must be higher): the blocks between the old final head
   * and it are skipped. `base` is the checkpoint's base, kept so that this node can serve checkpoints in turn.
   */
  adopt(record: BlockRecord, base: CheckpointBase | undefined): void {
    if (record.height <= this.#bestFinal.height || !record.final) return;
    this.#blocks.set(record.idHex, record);
    this.#bestFinal = record;
    if (base !== undefined && base.proposal.height > (this.#base?.proposal.height ?? -1)) this.#base = base;
  }

  /** The empty block at `parent.height + 1`. */
  empty(parent: BlockRecord): BlockRecord {
    return this.#child(parent, emptyId(parent.height + 1, parent.id, this.#hash), undefined, undefined);
  }

  /** A non-empty block whose proposal was checked against its round's committee. */
  withProposal(parent: BlockRecord, proposal: Proposal, id: Hash, vrfOutput: Uint8Array): BlockRecord {
    return this.#child(parent, id, proposal, vrfOutput);
  }

  #child(parent: BlockRecord, id: Hash, proposal: Proposal | undefined, vrfOutput: Uint8Array | undefined): BlockRecord {
    const idHex = toHex(id);
    const known = this.#blocks.get(idHex);
    if (known !== undefined) return known;
    const height = parent.height + 1;
    const record: BlockRecord = {
      id,
      idHex,
      height,
      prev: parent.id,
      prevHex: parent.idHex,
      ...(proposal !== undefined && vrfOutput !== undefined ? { proposal, vrfOutput } : {}),
      seed: parent.nextSeed,
      nextSeed: nextSeed(parent.nextSeed, vrfOutput, height + 1, this.#hash),
      final: false,
    };
    this.#blocks.set(idHex, record);
    return record;
  }

  parent(block: BlockRecord): BlockRecord | undefined {
    return block.height === 0 ? undefined : this.#blocks.get(block.prevHex);
  }

  /** The ancestor of `block` at `height` (the block itself when heights match). */
  ancestorAt(block: BlockRecord, height: number): BlockRecord | undefined {
    let b: BlockRecord | undefined = block;
    while (b !== undefined && b.height > height) b = this.parent(b);
    return b?.height === height ? b : undefined;
  }

  descends(block: BlockRecord, ancestor: BlockRecord): boolean {
    return this.ancestorAt(block, ancestor.height)?.idHex === ancestor.idHex;
  }

  /**
   * Marks `block` final by its certificate and every not-yet-final ancestor final by succession. Returns the
   * newly final blocks, lowest first. A certified block that conflicts with the best final one is refused
   * (returns undefined): with a good committee that cannot happen, and the simulator's checker reports it.
   */
  finalize(block: BlockRecord, commits: readonly Commit[]): BlockRecord[] | undefined {
    if (block.final) {
      block.commits ??= commits;
      return [];
    }
    const best = this.#bestFinal;
    // Below the final head nothing becomes final any more: every block there on its chain is final already, except
    // those a checkpoint skipped, which are never decided.
    if (block.height <= best.height) return this.ancestorAt(best, block.height) === block ? [] : undefined;
    if (!this.descends(block, best)) return undefined;
    block.commits = commits;
    const fresh: BlockRecord[] = [];
    for (let b: BlockRecord | undefined = block; b !== undefined && !b.final; b = this.parent(b)) {
      b.final = true;
      fresh.push(b);
      if (b.proposal !== undefined && b.seed !== undefined && b.height > (this.#base?.proposal.height ?? -1)) {
        this.#base = { proposal: b.proposal, seed: b.seed };
      }
    }
    if (block.height > best.height) this.#bestFinal = block;
    return fresh.reverse();
  }

  /** The fork-choice anchor: the highest prepared block descending from the best final one (ties: lowest id). */
  anchor(): BlockRecord {
    let anchor = this.#bestFinal;
    for (const b of this.#blocks.values()) {
      if (b.prepares === undefined || b.height < anchor.height) continue;
      if (b.height === anchor.height && (anchor.final || b.idHex >= anchor.idHex)) continue;
      if (this.descends(b, this.#bestFinal)) anchor = b;
    }
    return anchor;
  }

  /** The head (block at height − 1) of the chosen branch for a round at `height`. */
  headFor(height: number): BlockRecord {
    let head = this.anchor();
    if (head.height >= height) return this.ancestorAt(head, height - 1) ?? this.#bestFinal;
    while (head.height < height - 1) head = this.empty(head);
    return head;
  }

  /** The blocks from `fromHeight` up to `head`, lowest first, at most `limit`. */
  branchFrom(head: BlockRecord, fromHeight: number, limit: number): BlockRecord[] {
    const out: BlockRecord[] = [];
    for (let b: BlockRecord | undefined = head; b !== undefined && b.height >= fromHeight; b = this.parent(b)) {
      out.push(b);
    }
    out.reverse();
    return out.slice(0, limit);
  }

  /** Forgets blocks more than `keep` heights below the best final one (their evidence stays in the ledger). */
  prune(keep: number): void {
    const floor = this.#bestFinal.height - keep;
    for (const [hex, b] of this.#blocks) if (b.height < floor && b !== this.#bestFinal) this.#blocks.delete(hex);
  }
}
