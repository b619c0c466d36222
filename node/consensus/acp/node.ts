/**
 * One manager's ACP state machine (§2.2.3–2.2.4): a pure function of the events it is given. Per round r (one
 * block height): stage I–II committees from RS(r); the final committee proposes; after the proposal wait each
 * member votes for the largest proposal (reduction step 1), then for the value with a quorum of step-1 votes or
 * the empty block (step 2), and outputs the value with a quorum of step-2 votes or the empty block; the members
 * whose VRF outputs are lowest (valid output) or highest (empty output) lead parallel PBFT instances; a quorum of
 * commits is final consensus, propagated with its certificate; a node without it at the barrier SBR appends a
 * tentative block (the prepared value, else the empty block) and moves on. Safety rests on one rule: a node
 * prepares and commits at most one value per height, its own reduction output. This module is the round
 * lifecycle; stages II–IV of a round are in stages.ts, finality, fork choice and catch-up from others' evidence in
 * finality.ts, anchors and checkpoints (catch-up past pruned history) in checkpoint.ts.
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import { ConsensusError } from '../errors.ts';
import type { AcpEvent, AcpMessage, AcpOutput, ConsensusNode, Hash, TimerName } from '../types.ts';
import { BlockStore, type Anchor, type BlockRecord } from './chain.ts';
import { Checkpoints, type CheckpointStats } from './checkpoint.ts';
import { Committee, type Member } from './committee.ts';
import { evidenceOf } from './evidence.ts';
import { ChainSync, STATUS_LIMIT } from './finality.ts';
import { checkParams, DEFAULT_VALUE_WAIT_MS, type AcpParams } from './params.ts';
import { RoundState, type SentMemo } from './round.ts';
import { RoundStages } from './stages.ts';
import { DEFAULT_MAX_TIMEOUT_SCALE, TimeoutScale } from './timeouts.ts';

export interface AcpNodeConfig {
  readonly index: number;
  readonly members: readonly Member[];
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly params: AcpParams;
  readonly genesis: { readonly id: Hash; readonly seed: Hash };
  /**
   * The last final block this node knows (persisted by the application: `anchorOf(decide)` or `node.anchor()`).
   * With it the node starts at anchor.height + 1 with that block as its final head; without it, at genesis.
   */
  readonly anchor?: Anchor;
  /**
   * Heights up to which this node signs nothing (no proposal, vote, prepare or commit): the highest height it may
   * have signed at before a restart, so that it cannot sign a second, different message there. Default
   * anchor.height + 1 with an anchor (the round it was most likely in), 0 without.
   */
  readonly silentThrough?: number;
  /** Rounds are kept this many heights below the final head, blocks twice as many (default 32). */
  readonly keepHeights?: number;
  /** The deliberately broken variant of the unit tests: count a sender's conflicting votes. */
  readonly countEquivocations?: boolean;
}

export type { Anchor } from './chain.ts';
export { anchorOf, type CheckpointStats } from './checkpoint.ts';

const FUTURE_WINDOW = 16;
export const KEEP_HEIGHTS = 32;

export class AcpNode implements ConsensusNode<AcpMessage> {
  readonly index: number;
  readonly #cfg: AcpNodeConfig;
  readonly #store: BlockStore;
  readonly #rounds = new Map<number, RoundState>();
  readonly #sent = new Map<number, SentMemo>();
  readonly #future = new Map<number, AcpMessage[]>();
  readonly #committees = new Map<string, Committee>();
  readonly #chain: ChainSync;
  readonly #stages: RoundStages;
  readonly #checkpoints: Checkpoints;
  readonly #keep: number;
  readonly #silentThrough: number;
  readonly #scale: TimeoutScale;
  /** Rounds that learnt a proposal on their head after their step-1 vote: their proposal wait was too short. */
  readonly #lateProposal = new WeakSet<RoundState>();
  #height = 0;
  #epoch = 0;
  #value: { valueHash: Hash; size: number; height?: number } = { valueHash: new Uint8Array(32), size: 0 };
  #out: AcpOutput[] = [];

  constructor(config: AcpNodeConfig) {
    checkParams(config.params, config.members.length);
    this.#cfg = config;
    this.index = config.index;
    this.#keep = config.keepHeights ?? KEEP_HEIGHTS;
    if (!Number.isSafeInteger(this.#keep) || this.#keep < 1) throw new ConsensusError('BAD_CONFIG', 'keepHeights must be a positive integer');
    const { anchor } = config;
    if (anchor !== undefined && (!Number.isSafeInteger(anchor.height) || anchor.height < 0)) {
      throw new ConsensusError('BAD_CONFIG', 'anchor height must be a non-negative integer');
    }
    this.#silentThrough = config.silentThrough ?? (anchor === undefined ? 0 : anchor.height + 1);
    this.#scale = new TimeoutScale(config.params.maxTimeoutScale ?? DEFAULT_MAX_TIMEOUT_SCALE);
    this.#store = new BlockStore(config.genesis.id, config.genesis.seed, config.suite.hash, anchor);
    const emit = (output: AcpOutput): void => void this.#out.push(output);
    this.#checkpoints = new Checkpoints({
      index: config.index,
      members: config.members,
      params: config.params,
      suite: config.suite,
      store: this.#store,
      emit,
      adopted: (record, from) => this.#adopted(record, from),
    });
    this.#chain = new ChainSync({
      index: config.index,
      ringSize: config.members.length,
      suite: config.suite,
      store: this.#store,
      currentHeight: () => this.#height,
      committeeFor: (seed, height) => this.committeeFor(seed, height),
      roundAt: (height) => this.#rounds.get(height),
      hasVoted: (height) => this.#memo(height).voted1 !== undefined,
      startRound: (height) => this.#startRound(height),
      roundFinal: (round, block) => this.#roundFinal(round, block),
      emit,
      syncAsked: (peer) => this.#checkpoints.asked(peer),
      serveCheckpoint: (to, height) => this.#checkpoints.serve(to, height),
    });
    this.#stages = new RoundStages({
      index: config.index,
      keys: config.keys,
      suite: config.suite,
      params: config.params,
      store: this.#store,
      chain: this.#chain,
      currentHeight: () => this.#height,
      memo: (height) => this.#memo(height),
      value: () => this.#value,
      stepTimeoutMs: () => this.#scale.of(config.params.stepTimeoutMs),
      emit,
    });
  }

  /** The height of the round this node is in. */
  get height(): number {
    return this.#height;
  }

  get store(): BlockStore {
    return this.#store;
  }

  /** The best final block as an anchor to persist: restarting from it resumes after it. */
  anchor(): Anchor {
    const best = this.#store.bestFinal;
    return { height: best.height, id: best.id, seed: best.nextSeed };
  }

  /** The factor on this node's round timeouts now (1 while its rounds end final; acp/timeouts.ts). */
  get timeoutScale(): number {
    return this.#scale.value;
  }

  checkpointStats(): CheckpointStats {
    return this.#checkpoints.stats;
  }

  handle(event: AcpEvent): AcpOutput[] {
    this.#out = [];
    switch (event.kind) {
      case 'start':
        if (this.#height === 0) this.#startRound(this.#store.root.height + 1);
        break;
      case 'value':
        this.#value = { valueHash: event.valueHash, size: event.size, ...(event.height === undefined ? {} : { height: event.height }) };
        if (event.height === undefined || event.height === this.#height) this.#valueCame(this.#rounds.get(this.#height));
        if (event.height === this.#height) this.#stages.propose(this.#rounds.get(this.#height));
        break;
      case 'timer':
        this.#onTimer(event.name, event.height, event.epoch);
        break;
      case 'message':
        this.#onMessage(event.message);
        break;
    }
    return this.#out;
  }

  committeeFor(seed: Uint8Array, height: number): Committee {
    const key = `${height}:${toHex(seed)}`;
    let c = this.#committees.get(key);
    if (c === undefined) {
      c = new Committee(this.#cfg.members, seed, height, this.#cfg.params, this.#cfg.suite);
      this.#committees.set(key, c);
    }
    return c;
  }

  #memo(height: number): SentMemo {
    let m = this.#sent.get(height);
    if (m === undefined) {
      m = {};
      this.#sent.set(height, m);
    }
    return m;
  }

  #timer(name: TimerName, round: RoundState, delayMs: number): void {
    this.#out.push({ kind: 'set-timer', name, height: round.height, epoch: round.epoch, delayMs });
  }

  // ---- round lifecycle ----

  #startRound(height: number): void {
    const previous = this.#rounds.get(height);
    // The running round is overtaken by others' tentative blocks (their prepared head is at or above it): it failed
    // here as it did there, though this node's SBR has not fired yet. Overtaken by a final block, it is only late.
    const running = this.#rounds.get(this.#height);
    if (running !== undefined && running.phase !== 'done' && height > running.height && this.#store.bestFinal.height < running.height) {
      this.#failed(running);
    }
    for (const r of this.#rounds.values()) if (r.height <= height) r.phase = 'done';
    this.#height = height;
    const head = this.#store.headFor(height);
    const committee = this.committeeFor(head.nextSeed, height);
    const emptyHex = this.#store.empty(head).idHex;
    const round = new RoundState(head, committee, emptyHex, ++this.#epoch, this.#cfg.countEquivocations ?? false);
    this.#rounds.set(height, round);
    const { proof, output } = this.#cfg.keys.vrfProve(committee.alpha);
    round.cred = proof;
    round.inFinal = committee.potential.has(this.index) && committee.selects(output) && height > this.#silentThrough;
    // Without its value yet, the node's wait starts when the value comes (#valueCame), at the latest when the
    // 'value' timer fires: both end the wait the same way, whichever first.
    const v = this.#value;
    round.awaitingValue = v === undefined || (v.height !== undefined && v.height !== height);
    // The waits scale with SBR: what makes rounds overrun SBR (slow links, CPU-bound apply/build/verify) delays the
    // proposals as much, and both waits end early on what they wait for, so the scale costs a healthy round nothing.
    const { proposalWaitMs, valueWaitMs = DEFAULT_VALUE_WAIT_MS, sbrMs } = this.#cfg.params;
    if (round.awaitingValue) this.#timer('value', round, this.#scale.of(proposalWaitMs + valueWaitMs));
    else this.#timer('proposal', round, this.#scale.of(proposalWaitMs));
    this.#timer('sbr', round, this.#scale.of(sbrMs));
    this.#stages.propose(round);
    const replay = [...(previous?.raw ?? []), ...(this.#future.get(height) ?? [])];
    this.#future.delete(height);
    for (const m of replay) this.#onMessage(m);
    this.#prune();
  }

  /** The round's value came: a wait deferred for it starts now. */
  #valueCame(round: RoundState | undefined): void {
    if (round === undefined || !round.awaitingValue || round.phase !== 'proposing') return;
    round.awaitingValue = false;
    this.#timer('proposal', round, this.#scale.of(this.#cfg.params.proposalWaitMs));
  }

  #onTimer(name: TimerName, height: number, epoch: number): void {
    const round = this.#rounds.get(height);
    if (round === undefined || round.epoch !== epoch || round.phase === 'done') return;
    if (name === 'sbr') return this.#tentative(round);
    this.#stages.onTimer(name, round);
  }

  /** A checkpoint became the final head: go on above it and ask its sender for what it holds beyond. */
  #adopted(record: BlockRecord, from: number): void {
    for (const r of this.#rounds.values()) if (r.height <= record.height) r.phase = 'done';
    if (record.height >= this.#height) this.#startRound(record.height + 1);
    else this.#chain.reconsider();
    this.#chain.askSync(from);
  }

  /** Stage 4.2: no agreed block by SBR — append a tentative one (the prepared value, else empty) and go on. */
  #tentative(round: RoundState): void {
    round.phase = 'done';
    // The round did not fit in SBR: the next ones get more time (docs/consensus.md "Timeouts that adapt").
    this.#failed(round);
    const head = this.#store.headFor(round.height);
    let block: BlockRecord | undefined;
    const prepared = round.prepares.withQuorum(round.committee.quorum);
    if (prepared !== undefined && head.idHex === round.head.idHex) {
      block = this.#stages.blockOf(round, prepared);
      if (block !== undefined) block.prepares ??= round.prepares.messages(prepared);
    }
    block ??= this.#store.empty(head);
    if (!block.final) {
      this.#out.push({
        kind: 'decide',
        height: block.height,
        round: block.height,
        id: block.id,
        prev: block.prev,
        valueHash: block.proposal?.valueHash,
        decision: 'tentative',
      });
    }
    const from = this.#store.bestFinal.height + 1;
    const blocks = this.#store.branchFrom(block, from, STATUS_LIMIT).map(evidenceOf);
    this.#out.push({ kind: 'broadcast', message: { kind: 'status', from: this.index, blocks } });
    if (this.#height === round.height) this.#startRound(round.height + 1);
  }

  /**
   * A round ended final. The empty block after a proposal on our head came in too late for our vote is a failed
   * round in Tendermint's sense — the waits were too short for proposals and votes to meet — and grows the scale
   * like a tentative round (an empty block from split votes, e.g. an equivocating proposer, does not: longer waits
   * would not help); any other final round shrinks it.
   */
  #roundFinal(round: RoundState, block: BlockRecord): void {
    if (block.proposal === undefined && this.#lateProposal.has(round)) this.#failed(round);
    else this.#scale.shrink();
  }

  /**
   * A round failed. More time helps only if the members' messages do arrive, late: with fewer than a quorum of
   * members heard from at this height (a partition, members down) the scale stays — growing it there only left
   * the two sides of a healed partition a whole scaled SBR apart.
   */
  #failed(round: RoundState): void {
    const heard = new Set<number>([this.index]);
    for (const m of round.raw) if ('from' in m) heard.add(m.from);
    if (heard.size >= round.committee.quorum) this.#scale.grow();
  }

  // ---- messages ----

  #onMessage(m: AcpMessage): void {
    switch (m.kind) {
      case 'decision':
        return this.#chain.onEvidence([m.block], undefined);
      case 'status':
        return this.#chain.onEvidence(m.blocks, m.from);
      case 'sync':
        return this.#chain.onSync(m.from, m.height);
      case 'checkpoint':
        return this.#checkpoints.onCheckpoint(m);
      default:
        break;
    }
    if (!Number.isSafeInteger(m.height) || m.height < 1) return;
    const round = this.#rounds.get(m.height);
    if (m.height > this.#height) {
      if (m.height <= this.#height + FUTURE_WINDOW) {
        const list = this.#future.get(m.height) ?? [];
        if (list.length < 16 * this.#cfg.members.length) list.push(m);
        this.#future.set(m.height, list);
      }
      if (m.height > this.#height + 1) this.#chain.askSync(m.from);
      return;
    }
    if (round === undefined) return;
    round.raw.push(m);
    if (round.phase !== 'proposing' && round.phase !== 'done' && (m.kind === 'proposal' || m.kind === 'preprepare')) {
      const known = round.proposals.size;
      this.#routeRoundMessage(m, round);
      if (round.proposals.size > known) this.#lateProposal.add(round);
      return;
    }
    this.#routeRoundMessage(m, round);
  }

  #routeRoundMessage(m: AcpMessage, round: RoundState): void {
    switch (m.kind) {
      case 'proposal':
        return this.#stages.onProposal(m, round);
      case 'vote':
        return this.#stages.onVote(m, round);
      case 'preprepare':
        return this.#stages.onPrePrepare(m, round);
      case 'prepare':
        return this.#stages.onPrepare(m, round);
      case 'commit':
        return this.#stages.onCommit(m, round);
    }
  }

  #prune(): void {
    const floor = this.#store.bestFinal.height - this.#keep;
    for (const h of this.#future.keys()) if (h < this.#height) this.#future.delete(h);
    for (const h of this.#rounds.keys()) if (h < floor) this.#rounds.delete(h);
    for (const h of this.#sent.keys()) if (h < floor) this.#sent.delete(h);
    for (const [key, c] of this.#committees) if (c.height < floor) this.#committees.delete(key);
    this.#chain.prune();
    this.#store.prune(this.#keep * 2);
  }
}
