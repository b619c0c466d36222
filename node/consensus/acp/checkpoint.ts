/**
 * Anchors and checkpoints: how an ACP node starts from a final block other than genesis, and how it catches up
 * with a ring that has moved on further than its peers keep blocks (they prune rounds and blocks older than a
 * keep window, so `sync` cannot bridge a longer gap).
 *
 * - **Anchor**: the last final block an application persisted — its height, id and RS(height + 1) — taken from a
 *   final `decide` (`anchorOf`) or from `AcpNode.anchor()`. A node given one starts at height + 1 on it.
 * - **Checkpoint**: a peer asked to `sync` from a height it no longer holds answers with its latest final block's
 *   commit certificate, plus the highest non-empty final block at or below it (the base: its proposal) and the
 *   seed that base's round ran on. Every block between base and certified block is empty, so the receiver
 *   recomputes their ids (the empty block of a height depends only on its parent) and their seeds, and checks the
 *   certificate against the committee of the certified height. The seed claim is checked by the base's VRF proof,
 *   which verifies on one seed only; the proof itself is fixed by the block id the certificate signs.
 * - **Whole-ring committees only**: with sampled committees the committee that must sign the certificate is a
 *   function of a seed the receiver cannot check back to anything it trusts, and a Byzantine minority could grind a
 *   seed (a proposal of its own with a VRF proof on any seed it likes) whose sampled committee it dominates.
 *   Checkpoints are therefore neither served nor accepted there (counted as `refused`).
 * - A checkpoint is accepted only from a peer this node asked to sync since its final head last moved, only above
 *   its final head, and only with a valid certificate; everything else is counted and dropped.
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite } from '../crypto-suite.ts';
import { emptyId, nextSeed } from '../sign-bytes.ts';
import type { AcpOutput, Checkpoint, Decide, Hash, Proposal } from '../types.ts';
import type { Anchor, BlockRecord, BlockStore, CheckpointBase } from './chain.ts';
import { Committee, type Member } from './committee.ts';
import type { AcpParams } from './params.ts';
import { checkCertificate, checkProposal } from './verify.ts';

/** The longest run of empty blocks between a checkpoint's base and its certified block that is walked. */
export const MAX_EMPTY_RUN = 4096;

/** What an application persists to restart from a final decision: undefined for anything but an ACP final block. */
export function anchorOf(d: Decide): Anchor | undefined {
  if (d.decision !== 'final' || d.nextSeed === undefined) return undefined;
  return { height: d.height, id: d.id, seed: d.nextSeed };
}

/** The checkpoint a node can give: its best final block with its own certificate, and the base under it. */
export function buildCheckpoint(store: BlockStore, from: number): Checkpoint | undefined {
  const best = store.bestFinal;
  if (best.commits === undefined || best.commits.length === 0) return undefined;
  const base = store.checkpointBase;
  const withBase = base !== undefined && best.height - base.proposal.height <= MAX_EMPTY_RUN;
  return {
    kind: 'checkpoint',
    from,
    height: best.height,
    ...(withBase ? { base: base.proposal, seed: base.seed } : {}),
    commits: best.commits,
  };
}

export interface CheckpointContext {
  readonly members: readonly Member[];
  readonly params: AcpParams;
  readonly suite: CryptoSuite;
  readonly store: BlockStore;
}

export type CheckpointVerdict =
  | { readonly ok: true; readonly record: BlockRecord; readonly base: CheckpointBase | undefined }
  | { readonly ok: false; readonly why: 'refused' | 'stale' | 'forged' };

interface Link {
  readonly height: number;
  readonly id: Hash;
  readonly prev: Hash;
  /** RS(height); unknown only for an anchor the walk starts from (the walk always takes a step). */
  readonly seed: Hash | undefined;
  readonly next: Hash;
}

/** Checks a checkpoint against this node's final head; the record to adopt, or why not. */
export function verifyCheckpoint(cp: Checkpoint, ctx: CheckpointContext): CheckpointVerdict {
  const { store, suite } = ctx;
  if (ctx.members.length > ctx.params.fullCommitteeUpTo) return { ok: false, why: 'refused' };
  if (!Number.isSafeInteger(cp.height) || cp.height <= store.bestFinal.height) return { ok: false, why: 'stale' };
  const forged = { ok: false, why: 'forged' } as const;
  // A certificate has one commit per member at most.
  if (cp.commits.length > ctx.members.length) return forged;
  const committeeAt = (seed: Hash, height: number) => new Committee(ctx.members, seed, height, ctx.params, suite);
  let cur: Link;
  let top: { proposal: Proposal; vrfOutput: Uint8Array } | undefined;
  if (cp.base !== undefined) {
    const { base, seed } = cp;
    if (seed === undefined || base.height < 1 || base.height > cp.height) return forged;
    const checked = checkProposal(base, committeeAt(seed, base.height), suite);
    if (checked === undefined) return forged;
    cur = { height: base.height, id: checked.id, prev: base.prev, seed, next: nextSeed(seed, checked.vrfOutput, base.height + 1, suite.hash) };
    if (base.height === cp.height) top = { proposal: base, vrfOutput: checked.vrfOutput };
  } else {
    if (cp.seed !== undefined) return forged;
    const head = store.bestFinal;
    cur = { height: head.height, id: head.id, prev: head.prev, seed: head.seed, next: head.nextSeed };
  }
  if (cp.height - cur.height > MAX_EMPTY_RUN) return forged;
  while (cur.height < cp.height) {
    const height = cur.height + 1;
    cur = { height, id: emptyId(height, cur.id, suite.hash), prev: cur.id, seed: cur.next, next: nextSeed(cur.next, undefined, height + 1, suite.hash) };
  }
  const seed = cur.seed;
  if (seed === undefined) return forged;
  const certificate = checkCertificate(cp.commits, cur.id, committeeAt(seed, cp.height), suite);
  if (certificate === undefined) return forged;
  const record: BlockRecord = {
    id: cur.id,
    idHex: toHex(cur.id),
    height: cp.height,
    prev: cur.prev,
    prevHex: toHex(cur.prev),
    ...(top !== undefined ? { proposal: top.proposal, vrfOutput: top.vrfOutput } : {}),
    seed,
    nextSeed: cur.next,
    commits: certificate,
    final: true,
  };
  return { ok: true, record, base: cp.base !== undefined && cp.seed !== undefined ? { proposal: cp.base, seed: cp.seed } : undefined };
}

export interface CheckpointStats {
  /** Checkpoints this node sent in answer to a sync it could not serve. */
  readonly served: number;
  readonly adopted: number;
  /** Not above this node's final head (late answers included). */
  readonly stale: number;
  /** From a peer not asked to sync since the final head last moved: dropped unchecked. */
  readonly unsolicited: number;
  /** Bad base, seed or certificate (signatures, too few commits, non-members, wrong block). */
  readonly forged: number;
  /** Sampled committees: checkpoints are not accepted. */
  readonly refused: number;
}

export interface CheckpointHost extends CheckpointContext {
  readonly index: number;
  emit(output: AcpOutput): void;
  /** A checkpoint became the final head: the node moves its rounds above it. */
  adopted(record: BlockRecord, from: number): void;
}

type Counters = { -readonly [K in keyof CheckpointStats]: number };

/** Serving and adopting checkpoints for one node. */
export class Checkpoints {
  readonly #host: CheckpointHost;
  /** Peer → this node's final height when it asked that peer to sync. */
  readonly #asked = new Map<number, number>();
  readonly #stats: Counters = { served: 0, adopted: 0, stale: 0, unsolicited: 0, forged: 0, refused: 0 };

  constructor(host: CheckpointHost) {
    this.#host = host;
  }

  get stats(): CheckpointStats {
    return { ...this.#stats };
  }

  /** This node asked `peer` to sync: a checkpoint in answer is welcome. */
  asked(peer: number): void {
    if (this.#asked.size >= this.#host.members.length) this.#asked.clear();
    this.#asked.set(peer, this.#host.store.bestFinal.height);
  }

  /** Answers a sync from `height` on that this node cannot serve with blocks; false if it has no checkpoint to give. */
  serve(to: number, height: number): boolean {
    const host = this.#host;
    if (host.members.length > host.params.fullCommitteeUpTo || height > host.store.bestFinal.height) return false;
    const message = buildCheckpoint(host.store, host.index);
    if (message === undefined) return false;
    this.#stats.served += 1;
    host.emit({ kind: 'send', to, message });
    return true;
  }

  onCheckpoint(cp: Checkpoint): void {
    const host = this.#host;
    if (Number.isSafeInteger(cp.height) && cp.height <= host.store.bestFinal.height) {
      this.#stats.stale += 1;
      return;
    }
    if (this.#asked.get(cp.from) !== host.store.bestFinal.height) {
      this.#stats.unsolicited += 1;
      return;
    }
    const verdict = verifyCheckpoint(cp, host);
    if (!verdict.ok) {
      this.#stats[verdict.why] += 1;
      return;
    }
    const { record } = verdict;
    host.store.adopt(record, verdict.base);
    this.#asked.clear();
    this.#stats.adopted += 1;
    host.emit({
      kind: 'decide',
      height: record.height,
      round: record.height,
      id: record.id,
      prev: record.prev,
      valueHash: record.proposal?.valueHash,
      decision: 'final',
      via: 'checkpoint',
      certificate: record.commits ?? [],
      nextSeed: record.nextSeed,
    });
    host.adopted(record, cp.from);
  }
}
