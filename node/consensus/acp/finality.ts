/**
 * Finality and catch-up of one ACP node: certificates and evidence from others (decisions, status, sync answers),
 * finalising a block with its ancestors, the fork-choice head a node follows, and sync requests to peers. The
 * round lifecycle (node.ts) hands it blocks and commits and is told when to start or restart a round.
 */
import type { CryptoSuite } from '../crypto-suite.ts';
import type { AcpOutput, BlockEvidence, Commit, Hash } from '../types.ts';
import type { BlockRecord, BlockStore } from './chain.ts';
import type { Committee } from './committee.ts';
import { evidenceOf, importEvidence } from './evidence.ts';
import type { RoundState } from './round.ts';

export const STATUS_LIMIT = 64;

/** What the finality side needs from the node. */
export interface ChainHost {
  readonly index: number;
  readonly ringSize: number;
  readonly suite: CryptoSuite;
  readonly store: BlockStore;
  /** The height of the round the node is in. */
  currentHeight(): number;
  committeeFor(seed: Hash, height: number): Committee;
  roundAt(height: number): RoundState | undefined;
  /** Whether the node voted (reduction step 1) at this height. */
  hasVoted(height: number): boolean;
  startRound(height: number): void;
  /** A round still running ended final by certificate on `block` (the node's timeout scale follows it). */
  roundFinal(round: RoundState, block: BlockRecord): void;
  emit(output: AcpOutput): void;
  /** This node sent `peer` a sync request. */
  syncAsked(peer: number): void;
  /** Answers a sync from `height` this node cannot serve (pruned) with a checkpoint; false if it has none. */
  serveCheckpoint(to: number, height: number): boolean;
}

export class ChainSync {
  readonly #host: ChainHost;
  readonly #syncAsked = new Set<string>();

  constructor(host: ChainHost) {
    this.#host = host;
  }

  onEvidence(blocks: readonly BlockEvidence[], from: number | undefined): void {
    let changed = false;
    for (const e of blocks.slice(0, STATUS_LIMIT)) {
      if (!Number.isSafeInteger(e.height) || e.height < 1) return;
      const r = importEvidence(e, this.#host.store, (seed, h) => this.#host.committeeFor(seed, h), this.#host.suite);
      if (r.kind === 'missing-parent') {
        if (from !== undefined) this.askSync(from);
        else if (e.commits?.[0] !== undefined) this.askSync(e.commits[0].from);
        break;
      }
      if (r.kind === 'invalid') break;
      changed ||= r.newlyPrepared;
      if (r.commits !== undefined) {
        this.finalize(r.block, r.commits);
        changed = false;
      }
    }
    if (changed) this.reconsider();
  }

  onSync(from: number, height: number): void {
    if (!Number.isSafeInteger(from) || from < 0 || from >= this.#host.ringSize || from === this.#host.index) return;
    const store = this.#host.store;
    const head = store.headFor(this.#host.currentHeight());
    const start = Math.max(1, Math.min(height, head.height));
    // The root (an anchor this node started from) has no evidence: its parent is unknown.
    const branch = store.branchFrom(head, start, STATUS_LIMIT).filter((b) => b !== store.root);
    // The asked height is below what this node holds (pruned, or below its anchor): a checkpoint bridges the gap.
    if ((branch[0]?.height ?? Infinity) > start && this.#host.serveCheckpoint(from, height)) return;
    const blocks = branch.map(evidenceOf);
    if (blocks.length > 0) this.#host.emit({ kind: 'send', to: from, message: { kind: 'status', from: this.#host.index, blocks } });
  }

  askSync(peer: number): void {
    const key = `${peer}:${this.#host.store.bestFinal.height}:${this.#host.currentHeight()}`;
    if (this.#syncAsked.has(key) || peer === this.#host.index) return;
    this.#syncAsked.add(key);
    const message = { kind: 'sync' as const, from: this.#host.index, height: this.#host.store.bestFinal.height + 1 };
    this.#host.emit({ kind: 'send', to: peer, message });
    this.#host.syncAsked(peer);
  }

  finalize(block: BlockRecord, commits: readonly Commit[]): void {
    const fresh = this.#host.store.finalize(block, commits);
    if (fresh === undefined || fresh.length === 0) return;
    for (const b of fresh) {
      const own = b === block;
      this.#host.emit({
        kind: 'decide',
        height: b.height,
        round: b.height,
        id: b.id,
        prev: b.prev,
        valueHash: b.proposal?.valueHash,
        decision: 'final',
        via: own ? 'certificate' : 'successor',
        ...(own ? { certificate: commits } : { by: block.height }),
        nextSeed: b.nextSeed,
      });
    }
    this.#host.emit({ kind: 'broadcast', message: { kind: 'decision', block: evidenceOf(block) } });
    const round = this.#host.roundAt(block.height);
    if (round !== undefined && round.phase !== 'done') {
      round.phase = 'done';
      this.#host.roundFinal(round, block);
    }
    if (block.height >= this.#host.currentHeight()) this.#host.startRound(block.height + 1);
    else this.reconsider();
  }

  /** New evidence may move the fork-choice head of the current round: follow it. */
  reconsider(): void {
    const host = this.#host;
    const height = host.currentHeight();
    const anchor = host.store.anchor();
    if (anchor.height >= height) return host.startRound(anchor.height + 1);
    const round = host.roundAt(height);
    const head = host.store.headFor(height);
    if (round === undefined || head.idHex === round.head.idHex || round.phase === 'done') return;
    // Restart on the new head only while this node has not voted at this height; else wait for SBR.
    if (!host.hasVoted(height)) host.startRound(height);
  }

  /** Forgets old sync requests. */
  prune(): void {
    if (this.#syncAsked.size > 4096) this.#syncAsked.clear();
  }
}
