/**
 * Stages II–IV of one ACP round at one node: its proposal, the two reduction steps, and the parallel PBFT
 * instances up to a commit quorum (final consensus). The node (node.ts) starts rounds, routes messages of the
 * current round here, and handles the barrier SBR; finality and catch-up are in finality.ts. Safety rests on one
 * rule kept here: a node prepares and commits at most one value per height, its own reduction output (SentMemo).
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import { signingBytes } from '../sign-bytes.ts';
import type { AcpMessage, AcpOutput, Commit, Hash, PrePrepare, Prepare, Proposal, TimerName, Vote } from '../types.ts';
import type { BlockRecord, BlockStore } from './chain.ts';
import type { ChainSync } from './finality.ts';
import type { AcpParams } from './params.ts';
import type { RoundState, SentMemo } from './round.ts';
import { type CheckedProposal, checkProposal, confirmProposal, voteValid } from './verify.ts';

/** What the stages need from the node. */
export interface StageHost {
  readonly index: number;
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly params: AcpParams;
  readonly store: BlockStore;
  readonly chain: ChainSync;
  /** The height of the round the node is in. */
  currentHeight(): number;
  memo(height: number): SentMemo;
  /** The application's current value (height-tagged or not). */
  value(): { readonly valueHash: Hash; readonly size: number; readonly height?: number };
  /** The reduction-step timeout: params.stepTimeoutMs times the node's timeout scale (acp/timeouts.ts). */
  stepTimeoutMs(): number;
  emit(output: AcpOutput): void;
}

export class RoundStages {
  readonly #host: StageHost;

  constructor(host: StageHost) {
    this.#host = host;
  }

  #timer(name: TimerName, round: RoundState, delayMs: number): void {
    this.#host.emit({ kind: 'set-timer', name, height: round.height, epoch: round.epoch, delayMs });
  }

  #sign<M extends AcpMessage & { sig: Uint8Array }>(unsigned: Omit<M, 'sig'>): M {
    const bytes = signingBytes(unsigned as never, this.#host.suite.hash);
    return { ...unsigned, sig: this.#host.keys.sign(bytes) } as M;
  }

  #broadcast(message: AcpMessage): void {
    this.#host.emit({ kind: 'broadcast', message });
  }

  /** Stage II: a final-committee member proposes its value once per round, if it has one for this round. */
  propose(round: RoundState | undefined): void {
    if (round === undefined || !round.inFinal || round.phase !== 'proposing' || round.cred === undefined) return;
    const v = this.#host.value();
    if (v.height !== undefined && v.height !== round.height) return;
    if (round.proposed) return;
    round.proposed = true;
    const proposal = this.#sign<Proposal>({
      kind: 'proposal',
      height: round.height,
      from: this.#host.index,
      prev: round.head.id,
      valueHash: v.valueHash,
      size: v.size,
      vrfProof: round.cred,
    });
    this.#broadcast(proposal);
    this.onProposal(proposal, round);
  }

  /** The proposal wait and the two reduction-step timeouts (SBR is the node's). */
  onTimer(name: TimerName, round: RoundState): void {
    const waitOver = name === 'proposal' || name === 'value';
    if (waitOver && round.phase === 'proposing') {
      this.#endProposalWait(round);
    } else if (waitOver && round.phase === 'step1' && round.votedEarly) {
      round.votedEarly = false;
      this.#timer('step1', round, this.#host.stepTimeoutMs());
    } else if (name === 'step1' && round.phase === 'step1') {
      this.#enterStep2(round, round.step1.withQuorum(round.committee.quorum) ?? round.emptyIdHex);
    } else if (name === 'step2' && round.phase === 'step2') {
      this.#output(round, round.step2.withQuorum(round.committee.quorum) ?? round.emptyIdHex);
    }
  }

  /**
   * Ends the proposal wait with this node's step-1 vote. Ended early, the step-1 timeout is armed when the wait
   * would have ended: a member whose copy of a proposal was lost votes only then, and a node that voted early
   * must still be waiting for that vote (a quorum ends the step sooner either way).
   */
  #endProposalWait(round: RoundState, early = false): void {
    round.phase = 'step1';
    round.votedEarly = early;
    this.#vote(round, 1, round.candidate((p) => this.#confirmed(round, p)));
    if (!early) this.#timer('step1', round, this.#host.stepTimeoutMs());
  }

  #vote(round: RoundState, step: 1 | 2, idHex: string): void {
    const memo = this.#host.memo(round.height);
    if (!round.inFinal || (step === 1 ? memo.voted1 : memo.voted2) !== undefined) return;
    if (step === 1) memo.voted1 = idHex;
    else memo.voted2 = idHex;
    const vote = this.#sign<Vote>({
      kind: 'vote',
      step,
      height: round.height,
      from: this.#host.index,
      id: fromHexId(idHex),
      ...this.#cred(round),
    });
    this.#broadcast(vote);
    this.onVote(vote, round);
  }

  #cred(round: RoundState): { cred?: Uint8Array } {
    return round.committee.full || round.cred === undefined ? {} : { cred: round.cred };
  }

  #enterStep2(round: RoundState, idHex: string): void {
    round.phase = 'step2';
    this.#vote(round, 2, idHex);
    this.#timer('step2', round, this.#host.stepTimeoutMs());
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
    const { validLeaders, emptyLeaders } = this.#host.params;
    const memo = this.#host.memo(round.height);
    if (round.inFinal && !memo.led && round.leads(this.#host.index, validLeaders, emptyLeaders, (from) => this.#claimConfirmed(round, from))) {
      const checked = round.proposals.get(idHex);
      const proposal = checked !== undefined && this.#confirmed(round, checked) ? checked.proposal : undefined;
      if (proposal !== undefined || idHex === round.emptyIdHex) {
        memo.led = true;
        const pp = this.#sign<PrePrepare>({
          kind: 'preprepare',
          height: round.height,
          from: this.#host.index,
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
    const memo = this.#host.memo(round.height);
    const idHex = toHex(pp.id);
    if (!round.inFinal || round.output !== idHex || memo.prepared !== undefined) return;
    if (idHex !== round.emptyIdHex && !this.#confirmedId(round, idHex)) return;
    memo.prepared = idHex;
    const prepare = this.#sign<Prepare>({
      kind: 'prepare',
      height: round.height,
      from: this.#host.index,
      leader: pp.from,
      id: pp.id,
      ...this.#cred(round),
    });
    this.#broadcast(prepare);
    this.onPrepare(prepare, round);
  }

  /** A prepare quorum: record the certificate (fork choice) and commit if this node prepared that value. */
  #checkPrepared(round: RoundState): void {
    const idHex = round.prepares.withQuorum(round.committee.quorum);
    if (idHex === undefined) return;
    const block = this.blockOf(round, idHex);
    if (block !== undefined && block.prepares === undefined) {
      block.prepares = round.prepares.messages(idHex);
      if (round.height < this.#host.currentHeight()) this.#host.chain.reconsider();
    }
    const memo = this.#host.memo(round.height);
    if (round.inFinal && memo.prepared === idHex && memo.committed === undefined) {
      memo.committed = idHex;
      const commit = this.#sign<Commit>({
        kind: 'commit',
        height: round.height,
        from: this.#host.index,
        id: fromHexId(idHex),
        ...this.#cred(round),
      });
      this.#broadcast(commit);
      this.onCommit(commit, round);
    }
  }

  /** The block `idHex` of this round on its head (created from the round's proposal if new). */
  blockOf(round: RoundState, idHex: string): BlockRecord | undefined {
    const store = this.#host.store;
    const known = store.get(idHex);
    if (known !== undefined) return known;
    if (idHex === round.emptyIdHex) return store.empty(round.head);
    const p = round.proposals.get(idHex);
    return p === undefined || !this.#confirmed(round, p) ? undefined : store.withProposal(round.head, p.proposal, p.id, p.vrfOutput);
  }

  // ---- lazy VRF checks (docs/consensus.md "Lazy VRF checks") ----

  /** A proposal's VRF proof verified; one that fails is dropped from the round with the output it claimed. */
  #confirmed(round: RoundState, p: CheckedProposal): boolean {
    if (confirmProposal(p, round.committee)) return true;
    round.drop(p);
    return false;
  }

  #confirmedId(round: RoundState, idHex: string): boolean {
    const p = round.proposals.get(idHex);
    return p !== undefined && this.#confirmed(round, p);
  }

  /** The VRF output `from` claimed in its proposal (the one ranking it) verified. */
  #claimConfirmed(round: RoundState, from: number): boolean {
    const claimed = round.vrfOf.get(from);
    if (claimed === undefined) return false;
    const hex = toHex(claimed);
    for (const p of round.proposals.values()) {
      if (p.proposal.from === from && toHex(p.vrfOutput) === hex) return this.#confirmed(round, p);
    }
    round.vrfOf.delete(from);
    return false;
  }

  // ---- messages of a round ----

  onProposal(p: Proposal, round: RoundState): void {
    // Read lazily: the VRF proof is verified only where its output is used (ranking, the vote, the block).
    const checked = checkProposal(p, round.committee, this.#host.suite, true);
    if (checked === undefined) return;
    if (p.from === this.#host.index) checked.vrfConfirmed = true;
    if (toHex(p.prev) !== round.head.idHex) {
      if (this.#host.store.get(toHex(p.prev)) === undefined) this.#host.chain.askSync(p.from);
      return;
    }
    if (!round.vrfOf.has(p.from)) round.vrfOf.set(p.from, checked.vrfOutput);
    round.proposals.set(checked.idHex, checked);
    // While the committee is the whole ring, a proposal on this head from every member leaves nothing to wait
    // for: the vote the timer would cast is cast now, on the same proposals — when one of them carries something;
    // rounds with nothing to order keep their pace (docs/consensus.md "Proposal wait").
    if (
      round.phase === 'proposing' &&
      round.committee.full &&
      round.vrfOf.size === round.committee.potential.size &&
      [...round.proposals.values()].some((q) => q.proposal.size > 0)
    ) {
      this.#endProposalWait(round, true);
    }
  }

  onVote(v: Vote, round: RoundState): void {
    if (v.step !== 1 && v.step !== 2) return;
    if (!voteValid(v, round.committee, this.#host.suite)) return;
    const tally = v.step === 1 ? round.step1 : round.step2;
    if (tally.add(v) !== undefined) this.#progress(round);
  }

  onPrePrepare(pp: PrePrepare, round: RoundState): void {
    if (toHex(pp.prev) !== round.head.idHex || !voteValid(pp, round.committee, this.#host.suite)) return;
    const idHex = toHex(pp.id);
    if (pp.proposal !== undefined) {
      const checked = checkProposal(pp.proposal, round.committee, this.#host.suite);
      if (checked === undefined || checked.idHex !== idHex || toHex(pp.proposal.prev) !== round.head.idHex) return;
      round.proposals.set(idHex, checked);
    } else if (idHex !== round.emptyIdHex) {
      return;
    }
    round.prePrepares.push(pp);
    if (round.output !== undefined) this.#maybePrepare(round, pp);
  }

  onPrepare(p: Prepare, round: RoundState): void {
    if (!voteValid(p, round.committee, this.#host.suite)) return;
    if (round.prepares.add(p) !== undefined) this.#checkPrepared(round);
  }

  onCommit(c: Commit, round: RoundState): void {
    if (!voteValid(c, round.committee, this.#host.suite)) return;
    const idHex = round.commits.add(c);
    if (idHex === undefined || round.commits.count(idHex) < round.committee.quorum) return;
    const block = this.blockOf(round, idHex);
    if (block === undefined) return this.#host.chain.askSync(c.from);
    this.#host.chain.finalize(block, round.commits.messages(idHex));
  }
}

export function fromHexId(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
