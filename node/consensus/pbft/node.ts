/**
 * The single-leader PBFT baseline (SPEC §7) as a pure state machine with AcpNode's event/output interface. One
 * height at a time; view v of height h is led by (h + v) mod n. The leader pre-prepares a value, every member
 * prepares the first pre-prepare of its view, commits after a quorum of prepares, and decides on a quorum of
 * commits (⌊2n/3⌋ + 1). A view without a decision for `viewTimeoutMs` ends in a view change carrying the node's
 * highest prepared certificate; the next leader's new-view proves a quorum of them and re-proposes the value they
 * force (view-change.ts). Lagging nodes catch up from decisions, which carry their commit certificates.
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import { ConsensusError } from '../errors.ts';
import type { ConsensusNode, Hash } from '../types.ts';
import { checkVotes, pbftBlockId, pbftSigningBytes, signedValid, type PbftVerifier, type UnsignedPbft } from './messages.ts';
import {
  leaderOf,
  pbftQuorum,
  type PbftCommit,
  type PbftDecision,
  type PbftEvent,
  type PbftMessage,
  type PbftNewView,
  type PbftOutput,
  type PbftParams,
  type PbftPrePrepare,
  type PbftPrepare,
  type PbftViewChange,
  type SignedPbftMessage,
} from './types.ts';
import { HeightState } from './height.ts';
import { highestPrepared, jumpTarget, newViewValid, viewChangeValid } from './view-change.ts';

export interface PbftNodeConfig {
  readonly index: number;
  readonly publicKeys: readonly Uint8Array[];
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly params: PbftParams;
  readonly genesisId: Hash;
}

const FUTURE_WINDOW = 16;
const SYNC_LIMIT = 64;
const KEEP_DECISIONS = 256;

export class PbftNode implements ConsensusNode<PbftMessage> {
  readonly index: number;
  readonly #cfg: PbftNodeConfig;
  readonly #n: number;
  readonly #verifier: PbftVerifier;
  readonly #decisions = new Map<number, PbftDecision>();
  readonly #future = new Map<number, PbftMessage[]>();
  readonly #answered = new Set<string>();
  #height = 0;
  #view = 0;
  #status: 'normal' | 'changing' = 'normal';
  #epoch = 0;
  #prev: Hash;
  #state = new HeightState();
  #value: Hash = new Uint8Array(32);
  #out: PbftOutput[] = [];

  constructor(config: PbftNodeConfig) {
    const n = config.publicKeys.length;
    const quorum = pbftQuorum(config.params, n);
    if (n < 1 || quorum < 1 || quorum > n) throw new ConsensusError('BAD_CONFIG', 'PBFT needs 1 ≤ quorum ≤ n');
    if (!(config.params.viewTimeoutMs > 0)) throw new ConsensusError('BAD_CONFIG', 'the view timeout must be positive');
    this.#cfg = config;
    this.index = config.index;
    this.#n = n;
    this.#verifier = { publicKeys: config.publicKeys, quorum, suite: config.suite };
    this.#prev = config.genesisId;
  }

  get height(): number {
    return this.#height;
  }

  get view(): number {
    return this.#view;
  }

  handle(event: PbftEvent): PbftOutput[] {
    this.#out = [];
    if (event.kind === 'start' && this.#height === 0) this.#enterHeight(1);
    else if (event.kind === 'value') this.#value = event.valueHash;
    else if (event.kind === 'timer') this.#onTimer(event.height, event.epoch);
    else if (event.kind === 'message') this.#onMessage(event.message);
    return this.#out;
  }

  #sign<M extends SignedPbftMessage>(unsigned: UnsignedPbft & Omit<M, 'sig'>): M {
    return { ...unsigned, sig: this.#cfg.keys.sign(pbftSigningBytes(unsigned)) } as M;
  }

  #broadcast(message: PbftMessage): void {
    this.#out.push({ kind: 'broadcast', message });
  }

  #armTimer(): void {
    this.#out.push({ kind: 'set-timer', name: 'view', height: this.#height, epoch: ++this.#epoch, delayMs: this.#cfg.params.viewTimeoutMs });
  }

  #enterHeight(height: number): void {
    this.#height = height;
    this.#view = 0;
    this.#status = 'normal';
    this.#state = new HeightState();
    this.#armTimer();
    if (leaderOf(height, 0, this.#n) === this.index) {
      const pp = this.#sign<PbftPrePrepare>({ kind: 'preprepare', height, view: 0, from: this.index, valueHash: this.#value });
      this.#broadcast(pp);
      this.#onPrePrepare(pp);
    }
    const replay = this.#future.get(height) ?? [];
    this.#future.delete(height);
    for (const h of this.#future.keys()) if (h < height) this.#future.delete(h);
    for (const m of replay) this.#onMessage(m);
  }

  #onTimer(height: number, epoch: number): void {
    if (height !== this.#height || epoch !== this.#epoch) return;
    if (this.#status === 'normal' || this.#state.vcQuorumView === this.#view) return this.#startViewChange(this.#view + 1);
    // Still gathering view changes: say it again (messages lost in a partition are gone), then wait again.
    const mine = this.#state.viewChanges.get(this.#view)?.get(this.index);
    if (mine !== undefined) this.#broadcast(mine);
    this.#armTimer();
  }

  // ---- normal case ----

  #onPrePrepare(pp: PbftPrePrepare): void {
    const st = this.#state;
    if (pp.view !== this.#view || this.#status !== 'normal' || pp.from !== leaderOf(pp.height, pp.view, this.#n)) return;
    if (st.accepted.has(pp.view) || !signedValid(pp, this.#verifier)) return;
    const id = pbftBlockId(pp.height, pp.valueHash, this.#cfg.suite.hash);
    const idHex = toHex(id);
    st.accepted.set(pp.view, idHex);
    st.values.set(idHex, pp.valueHash);
    const prepare = this.#sign<PbftPrepare>({ kind: 'prepare', height: pp.height, view: pp.view, from: this.index, id });
    this.#broadcast(prepare);
    this.#onVote(prepare);
    // Commits may have come before the pre-prepare that names their value.
    const t = st.commits.get(pp.view);
    const committed = t?.withQuorum(this.#verifier.quorum);
    if (this.#height === pp.height && committed === idHex) this.#decide(pp.valueHash, pp.view, t!.messages(idHex));
  }

  #onVote(m: PbftPrepare | PbftCommit): void {
    const st = this.#state;
    if (!signedValid(m, this.#verifier)) return;
    if (m.kind === 'prepare') {
      if (st.tally(st.prepares, m.view).add(m) !== undefined && m.height === this.#height) this.#maybeCommit(m.view);
      return;
    }
    const t = st.tally(st.commits, m.view);
    const idHex = t.add(m);
    if (idHex === undefined || m.height !== this.#height || t.count(idHex) < this.#verifier.quorum) return;
    const valueHash = st.values.get(idHex);
    if (valueHash !== undefined) this.#decide(valueHash, m.view, t.messages(idHex));
  }

  /** Prepared in this view (its pre-prepare and a quorum of prepares): keep the certificate, commit. */
  #maybeCommit(view: number): void {
    const st = this.#state;
    const idHex = st.accepted.get(view);
    if (view !== this.#view || this.#status !== 'normal' || idHex === undefined || st.committed.has(view)) return;
    const prepares = st.tally(st.prepares, view).messages(idHex);
    if (prepares.length < this.#verifier.quorum) return;
    st.committed.add(view);
    st.prepared = { view, valueHash: st.values.get(idHex)!, prepares };
    const commit = this.#sign<PbftCommit>({ kind: 'commit', height: this.#height, view, from: this.index, id: fromHex(idHex) });
    this.#broadcast(commit);
    this.#onVote(commit);
  }

  #decide(valueHash: Hash, view: number, commits: readonly PbftCommit[]): void {
    const height = this.#height;
    const id = pbftBlockId(height, valueHash, this.#cfg.suite.hash);
    this.#out.push({
      kind: 'decide', height, round: view, id, prev: this.#prev, valueHash, decision: 'final', via: 'certificate', certificate: commits,
    });
    const decision: PbftDecision = { kind: 'decision', height, valueHash, commits };
    this.#decisions.set(height, decision);
    this.#decisions.delete(height - KEEP_DECISIONS);
    this.#broadcast(decision);
    this.#prev = id;
    if (this.#answered.size > 4096) this.#answered.clear();
    this.#enterHeight(height + 1);
  }

  // ---- view change ----

  #startViewChange(view: number): void {
    this.#view = view;
    this.#status = 'changing';
    const prepared = this.#state.prepared;
    const vc = this.#sign<PbftViewChange>({
      kind: 'view-change', height: this.#height, view, from: this.index, ...(prepared !== undefined ? { prepared } : {}),
    });
    this.#broadcast(vc);
    this.#armTimer();
    this.#onViewChange(vc);
  }

  #onViewChange(vc: PbftViewChange): void {
    const st = this.#state;
    if (vc.view <= this.#view - 1 || !viewChangeValid(vc, this.#height, this.#verifier)) return;
    const atView = st.viewChanges.get(vc.view) ?? new Map<number, PbftViewChange>();
    st.viewChanges.set(vc.view, atView);
    if (!atView.has(vc.from)) atView.set(vc.from, vc);
    st.highestAsked.set(vc.from, Math.max(vc.view, st.highestAsked.get(vc.from) ?? 0));
    const target = jumpTarget(st.highestAsked, this.#n - this.#verifier.quorum + 1, this.#view);
    if (target !== undefined) return this.#startViewChange(target);
    if (vc.view !== this.#view || this.#status !== 'changing' || atView.size < this.#verifier.quorum) return;
    if (st.vcQuorumView !== this.#view) {
      st.vcQuorumView = this.#view;
      this.#armTimer();
    }
    if (leaderOf(this.#height, this.#view, this.#n) !== this.index || st.newViewSent.has(this.#view)) return;
    st.newViewSent.add(this.#view);
    const viewChanges = [...atView.values()];
    const valueHash = highestPrepared(viewChanges)?.valueHash ?? this.#value;
    const prePrepare = this.#sign<PbftPrePrepare>({ kind: 'preprepare', height: this.#height, view: this.#view, from: this.index, valueHash });
    const nv: PbftNewView = { kind: 'new-view', viewChanges, prePrepare };
    this.#broadcast(nv);
    this.#onNewView(nv);
  }

  #onNewView(nv: PbftNewView): void {
    const view = nv.prePrepare.view;
    if (view < this.#view || (view === this.#view && this.#status === 'normal')) return;
    if (!newViewValid(nv, this.#height, this.#n, this.#verifier)) return;
    this.#view = view;
    this.#status = 'normal';
    this.#armTimer();
    this.#onPrePrepare(nv.prePrepare);
  }

  // ---- messages and catch-up ----

  #onMessage(m: PbftMessage): void {
    if (m.kind === 'sync') return this.#onSync(m.from, m.height);
    const height = m.kind === 'new-view' ? m.prePrepare.height : m.height;
    const from = m.kind === 'new-view' ? m.prePrepare.from : m.kind === 'decision' ? m.commits[0]?.from : m.from;
    if (!Number.isSafeInteger(height) || height < 1) return;
    if (height < this.#height) {
      if (from !== undefined && m.kind !== 'decision') this.#answer(from, height);
      return;
    }
    if (height > this.#height) {
      if (height <= this.#height + FUTURE_WINDOW) {
        const list = this.#future.get(height) ?? [];
        if (list.length < 16 * this.#n) list.push(m);
        this.#future.set(height, list);
      }
      if (from !== undefined) this.#askSync(from);
      return;
    }
    switch (m.kind) {
      case 'preprepare':
        return m.view === 0 ? this.#onPrePrepare(m) : undefined;
      case 'prepare':
      case 'commit':
        return this.#onVote(m);
      case 'view-change':
        return this.#onViewChange(m);
      case 'new-view':
        return this.#onNewView(m);
      case 'decision':
        return this.#onDecision(m);
    }
  }

  #onDecision(d: PbftDecision): void {
    const view = d.commits[0]?.view;
    if (view === undefined) return;
    const id = pbftBlockId(d.height, d.valueHash, this.#cfg.suite.hash);
    const commits = checkVotes(d.commits, 'commit', d.height, view, id, this.#verifier);
    if (commits !== undefined) this.#decide(d.valueHash, view, commits);
  }

  /** A peer still speaks at a height this node decided: send it that decision (once per peer and height). */
  #answer(peer: number, height: number): void {
    const key = `a${peer}:${height}`;
    const d = this.#decisions.get(height);
    if (d === undefined || this.#answered.has(key) || peer === this.index || peer < 0 || peer >= this.#n) return;
    this.#answered.add(key);
    this.#out.push({ kind: 'send', to: peer, message: d });
  }

  #onSync(peer: number, height: number): void {
    if (!Number.isSafeInteger(peer) || peer < 0 || peer >= this.#n || peer === this.index || !Number.isSafeInteger(height)) return;
    for (let h = Math.max(1, height); h < this.#height && h < height + SYNC_LIMIT; h++) {
      const d = this.#decisions.get(h);
      if (d !== undefined) this.#out.push({ kind: 'send', to: peer, message: d });
    }
  }

  #askSync(peer: number): void {
    const key = `s${peer}:${this.#height}`;
    if (this.#answered.has(key) || peer === this.index || peer < 0 || peer >= this.#n) return;
    this.#answered.add(key);
    this.#out.push({ kind: 'send', to: peer, message: { kind: 'sync', from: this.index, height: this.#height } });
  }
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
