/**
 * One manager's ACP state machine (§2.2.3–2.2.4): a pure function of the events it is given. Per round r (one
 * block height): stage I–II committees from RS(r); the final committee proposes; after the proposal wait each
 * member votes for the largest proposal (reduction step 1), then for the value with a quorum of step-1 votes or
 * the empty block (step 2), and outputs the value with a quorum of step-2 votes or the empty block; the members
 * whose VRF outputs are lowest (valid output) or highest (empty output) lead parallel PBFT instances; a quorum of
 * commits is final consensus, propagated with its certificate; a node without it at the barrier SBR appends a
 * tentative block (the prepared value, else the empty block) and moves on. Safety rests on one rule: a node
 * prepares and commits at most one value per height, its own reduction output. This module is the round
 * lifecycle; finality, fork choice and catch-up from others' evidence are in finality.ts.
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import { checkParams, type AcpParams } from './params.ts';
import { signingBytes } from '../sign-bytes.ts';
import type {
  AcpEvent,
  AcpMessage,
  AcpOutput,
  Commit,
  ConsensusNode,
  Hash,
  PrePrepare,
  Prepare,
  Proposal,
  TimerName,
  Vote,
} from '../types.ts';
import { BlockStore, type BlockRecord } from './chain.ts';
import { Committee, type Member } from './committee.ts';
import { evidenceOf } from './evidence.ts';
import { ChainSync, STATUS_LIMIT } from './finality.ts';
import { RoundState, type SentMemo } from './round.ts';
import { checkProposal, voteValid } from './verify.ts';

export interface AcpNodeConfig {
  readonly index: number;
  readonly members: readonly Member[];
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly params: AcpParams;
  readonly genesis: { readonly id: Hash; readonly seed: Hash };
  /** The deliberately broken variant of the unit tests: count a sender's conflicting votes. */
  readonly countEquivocations?: boolean;
}

const FUTURE_WINDOW = 16;
const KEEP_HEIGHTS = 32;

export class AcpNode implements ConsensusNode<AcpMessage> {
  readonly index: number;
  readonly #cfg: AcpNodeConfig;
  readonly #store: BlockStore;
  readonly #rounds = new Map<number, RoundState>();
  readonly #sent = new Map<number, SentMemo>();
  readonly #future = new Map<number, AcpMessage[]>();
  readonly #committees = new Map<string, Committee>();
  readonly #chain: ChainSync;
  #height = 0;
  #epoch = 0;
  #value: { valueHash: Hash; size: number; height?: number } = { valueHash: new Uint8Array(32), size: 0 };
  #out: AcpOutput[] = [];

  constructor(config: AcpNodeConfig) {
    checkParams(config.params, config.members.length);
    this.#cfg = config;
    this.index = config.index;
    this.#store = new BlockStore(config.genesis.id, config.genesis.seed, config.suite.hash);
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
      emit: (output) => this.#out.push(output),
    });
  }

  /** The height of the round this node is in. */
  get height(): number {
    return this.#height;
  }

  get store(): BlockStore {
    return this.#store;
  }

  handle(event: AcpEvent): AcpOutput[] {
    this.#out = [];
    switch (event.kind) {
      case 'start':
        if (this.#height === 0) this.#startRound(1);
        break;
      case 'value':
        this.#value = { valueHash: event.valueHash, size: event.size, ...(event.height === undefined ? {} : { height: event.height }) };
        if (event.height === this.#height) this.#propose(this.#rounds.get(this.#height));
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

  #sign<M extends AcpMessage & { sig: Uint8Array }>(unsigned: Omit<M, 'sig'>): M {
    const bytes = signingBytes(unsigned as never, this.#cfg.suite.hash);
    return { ...unsigned, sig: this.#cfg.keys.sign(bytes) } as M;
  }

  #broadcast(message: AcpMessage): void {
    this.#out.push({ kind: 'broadcast', message });
  }

  // ---- round lifecycle ----

  #startRound(height: number): void {
    const previous = this.#rounds.get(height);
    for (const r of this.#rounds.values()) if (r.height <= height) r.phase = 'done';
    this.#height = height;
    const head = this.#store.headFor(height);
    const committee = this.committeeFor(head.nextSeed, height);
    const emptyHex = this.#store.empty(head).idHex;
    const round = new RoundState(head, committee, emptyHex, ++this.#epoch, this.#cfg.countEquivocations ?? false);
    this.#rounds.set(height, round);
    const { proof, output } = this.#cfg.keys.vrfProve(committee.alpha);
    round.cred = proof;
    round.inFinal = committee.potential.has(this.index) && committee.selects(output);
    this.#timer('proposal', round, this.#cfg.params.proposalWaitMs);
    this.#timer('sbr', round, this.#cfg.params.sbrMs);
    this.#propose(round);
    const replay = [...(previous?.raw ?? []), ...(this.#future.get(height) ?? [])];
    this.#future.delete(height);
    for (const m of replay) this.#onMessage(m);
    this.#prune();
  }

  /** Stage II: a final-committee member proposes its value once per round, if it has one for this round. */
  #propose(round: RoundState | undefined): void {
    if (round === undefined || !round.inFinal || round.phase !== 'proposing' || round.cred === undefined) return;
    const v = this.#value;
    if (v.height !== undefined && v.height !== round.height) return;
    if (round.proposed) return;
    round.proposed = true;
    const proposal = this.#sign<Proposal>({
      kind: 'proposal',
      height: round.height,
      from: this.index,
      prev: round.head.id,
      valueHash: v.valueHash,
      size: v.size,
      vrfProof: round.cred,
    });
    this.#broadcast(proposal);
    this.#onProposal(proposal, round);
  }

  #onTimer(name: TimerName, height: number, epoch: number): void {
    const round = this.#rounds.get(height);
    if (round === undefined || round.epoch !== epoch || round.phase === 'done') return;
    if (name === 'sbr') return this.#tentative(round);
    if (name === 'proposal' && round.phase === 'proposing') {
      round.phase = 'step1';
      this.#vote(round, 1, round.candidate());
      this.#timer('step1', round, this.#cfg.params.stepTimeoutMs);
    } else if (name === 'step1' && round.phase === 'step1') {
      this.#enterStep2(round, round.step1.withQuorum(round.committee.quorum) ?? round.emptyIdHex);
    } else if (name === 'step2' && round.phase === 'step2') {
      this.#output(round, round.step2.withQuorum(round.committee.quorum) ?? round.emptyIdHex);
    }
  }

  #vote(round: RoundState, step: 1 | 2, idHex: string): void {
    const memo = this.#memo(round.height);
    if (!round.inFinal || (step === 1 ? memo.voted1 : memo.voted2) !== undefined) return;
    if (step === 1) memo.voted1 = idHex;
    else memo.voted2 = idHex;
    const vote = this.#sign<Vote>({
      kind: 'vote',
      step,
      height: round.height,
      from: this.index,
      id: fromHexId(idHex),
      ...this.#cred(round),
    });
    this.#broadcast(vote);
    this.#onVote(vote, round);
  }

  #cred(round: RoundState): { cred?: Uint8Array } {
    return round.committee.full || round.cred === undefined ? {} : { cred: round.cred };
  }

  #enterStep2(round: RoundState, idHex: string): void {
    round.phase = 'step2';
    this.#vote(round, 2, idHex);
    this.#timer('step2', round, this.#cfg.params.stepTimeoutMs);
    this.#progress(round);
  }

  /** Early transitions: a quorum for one value ends a reduction step before its timeout. */
  #progress(round: RoundState): void {
    const q = round.committee.quorum;
    if (round.phase === 'step1') {
      const id = round.step1.withQuorum(q);
      if (id !== undefined) this.#enterStep2(round, id);
    } else if (round.phase === 'step2') {
      const id = round.step2.withQuorum(q);
      if (id !== undefined) this.#output(round, id);
    }
  }

  /** End of stage III: this node's value for the PBFT instances; lead one if its VRF output ranks. */
  #output(round: RoundState, idHex: string): void {
    round.phase = 'pbft';
    round.output = idHex;
    const { validLeaders, emptyLeaders } = this.#cfg.params;
    const memo = this.#memo(round.height);
    if (round.inFinal && !memo.led && round.leads(this.index, validLeaders, emptyLeaders)) {
      const proposal = round.proposals.get(idHex)?.proposal;
      if (proposal !== undefined || idHex === round.emptyIdHex) {
        memo.led = true;
        const pp = this.#sign<PrePrepare>({
          kind: 'preprepare',
          height: round.height,
          from: this.index,
          prev: round.head.id,
          id: fromHexId(idHex),
          ...(proposal !== undefined ? { proposal } : {}),
          ...this.#cred(round),
        });
        this.#broadcast(pp);
        round.prePrepares.push(pp);
      }
    }
    for (const pp of round.prePrepares) this.#maybePrepare(round, pp);
    this.#checkPrepared(round);
  }

  #maybePrepare(round: RoundState, pp: PrePrepare): void {
    const memo = this.#memo(round.height);
    const idHex = toHex(pp.id);
    if (!round.inFinal || round.output !== idHex || memo.prepared !== undefined) return;
    if (idHex !== round.emptyIdHex && !round.proposals.has(idHex)) return;
    memo.prepared = idHex;
    const prepare = this.#sign<Prepare>({
      kind: 'prepare',
      height: round.height,
      from: this.index,
      leader: pp.from,
      id: pp.id,
      ...this.#cred(round),
    });
    this.#broadcast(prepare);
    this.#onPrepare(prepare, round);
  }

  /** A prepare quorum: record the certificate (fork choice) and commit if this node prepared that value. */
  #checkPrepared(round: RoundState): void {
    const idHex = round.prepares.withQuorum(round.committee.quorum);
    if (idHex === undefined) return;
    const block = this.#blockOf(round, idHex);
    if (block !== undefined && block.prepares === undefined) {
      block.prepares = round.prepares.messages(idHex);
      if (round.height < this.#height) this.#chain.reconsider();
    }
    const memo = this.#memo(round.height);
    if (round.inFinal && memo.prepared === idHex && memo.committed === undefined) {
      memo.committed = idHex;
      const commit = this.#sign<Commit>({
        kind: 'commit',
        height: round.height,
        from: this.index,
        id: fromHexId(idHex),
        ...this.#cred(round),
      });
      this.#broadcast(commit);
      this.#onCommit(commit, round);
    }
  }

  #blockOf(round: RoundState, idHex: string): BlockRecord | undefined {
    const known = this.#store.get(idHex);
    if (known !== undefined) return known;
    if (idHex === round.emptyIdHex) return this.#store.empty(round.head);
    const p = round.proposals.get(idHex);
    return p === undefined ? undefined : this.#store.withProposal(round.head, p.proposal, p.id, p.vrfOutput);
  }

  /** Stage 4.2: no agreed block by SBR — append a tentative one (the prepared value, else empty) and go on. */
  #tentative(round: RoundState): void {
    round.phase = 'done';
    const head = this.#store.headFor(round.height);
    let block: BlockRecord | undefined;
    const prepared = round.prepares.withQuorum(round.committee.quorum);
    if (prepared !== undefined && head.idHex === round.head.idHex) {
      block = this.#blockOf(round, prepared);
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
    this.#broadcast({ kind: 'status', from: this.index, blocks });
    if (this.#height === round.height) this.#startRound(round.height + 1);
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
    switch (m.kind) {
      case 'proposal':
        return this.#onProposal(m, round);
      case 'vote':
        return this.#onVote(m, round);
      case 'preprepare':
        return this.#onPrePrepare(m, round);
      case 'prepare':
        return this.#onPrepare(m, round);
      case 'commit':
        return this.#onCommit(m, round);
    }
  }

  #onProposal(p: Proposal, round: RoundState): void {
    const checked = checkProposal(p, round.committee, this.#cfg.suite);
    if (checked === undefined) return;
    if (toHex(p.prev) !== round.head.idHex) {
      if (this.#store.get(toHex(p.prev)) === undefined) this.#chain.askSync(p.from);
      return;
    }
    if (!round.vrfOf.has(p.from)) round.vrfOf.set(p.from, checked.vrfOutput);
    round.proposals.set(checked.idHex, checked);
  }

  #onVote(v: Vote, round: RoundState): void {
    if (v.step !== 1 && v.step !== 2) return;
    if (!voteValid(v, round.committee, this.#cfg.suite)) return;
    const tally = v.step === 1 ? round.step1 : round.step2;
    if (tally.add(v) !== undefined) this.#progress(round);
  }

  #onPrePrepare(pp: PrePrepare, round: RoundState): void {
    if (toHex(pp.prev) !== round.head.idHex || !voteValid(pp, round.committee, this.#cfg.suite)) return;
    const idHex = toHex(pp.id);
    if (pp.proposal !== undefined) {
      const checked = checkProposal(pp.proposal, round.committee, this.#cfg.suite);
      if (checked === undefined || checked.idHex !== idHex || toHex(pp.proposal.prev) !== round.head.idHex) return;
      round.proposals.set(idHex, checked);
    } else if (idHex !== round.emptyIdHex) {
      return;
    }
    round.prePrepares.push(pp);
    if (round.output !== undefined) this.#maybePrepare(round, pp);
  }

  #onPrepare(p: Prepare, round: RoundState): void {
    if (!voteValid(p, round.committee, this.#cfg.suite)) return;
    if (round.prepares.add(p) !== undefined) this.#checkPrepared(round);
  }

  #onCommit(c: Commit, round: RoundState): void {
    if (!voteValid(c, round.committee, this.#cfg.suite)) return;
    const idHex = round.commits.add(c);
    if (idHex === undefined || round.commits.count(idHex) < round.committee.quorum) return;
    const block = this.#blockOf(round, idHex);
    if (block === undefined) return this.#chain.askSync(c.from);
    this.#chain.finalize(block, round.commits.messages(idHex));
  }

  #prune(): void {
    const floor = this.#store.bestFinal.height - KEEP_HEIGHTS;
    for (const h of this.#rounds.keys()) if (h < floor) this.#rounds.delete(h);
    for (const h of this.#sent.keys()) if (h < floor) this.#sent.delete(h);
    for (const [key, c] of this.#committees) if (c.height < floor) this.#committees.delete(key);
    this.#chain.prune();
    this.#store.prune(KEEP_HEIGHTS * 2);
  }
}

function fromHexId(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
