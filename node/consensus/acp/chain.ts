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
  /** RS(height): the seed this block's round ran on. */
  readonly seed: Hash;
  /** RS(height + 1). */
  readonly nextSeed: Hash;
  prepares?: readonly Prepare[];
  commits?: readonly Commit[];
  final: boolean;
}

type HashFn = (b: Uint8Array) => Hash;

export class BlockStore {
  readonly #blocks = new Map<string, BlockRecord>();
  readonly #hash: HashFn;
  #bestFinal: BlockRecord;

  constructor(genesisId: Hash, genesisSeed: Hash, hash: HashFn) {
    this.#hash = hash;
    const genesis: BlockRecord = {
      id: genesisId,
      idHex: toHex(genesisId),
      height: 0,
      prev: new Uint8Array(32),
      prevHex: toHex(new Uint8Array(32)),
      seed: genesisSeed,
      nextSeed: nextSeed(genesisSeed, undefined, 1, hash),
      final: true,
    };
    this.#blocks.set(genesis.idHex, genesis);
    this.#bestFinal = genesis;
  }

  get(idHex: string): BlockRecord | undefined {
    return this.#blocks.get(idHex);
  }

  get bestFinal(): BlockRecord {
    return this.#bestFinal;
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
    if (block.height > best.height ? !this.descends(block, best) : this.ancestorAt(best, block.height) !== block) {
      return undefined;
    }
    block.commits = commits;
    const fresh: BlockRecord[] = [];
    for (let b: BlockRecord | undefined = block; b !== undefined && !b.final; b = this.parent(b)) {
      b.final = true;
      fresh.push(b);
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
