/** The state of one ACP round (one height) at one node: proposals seen, reduction tallies, PBFT tallies. */
import { toHex } from '../../crypto/index.ts';
import type { AcpMessage, Commit, Hash, PrePrepare, Prepare, Vote } from '../types.ts';
import type { BlockRecord } from './chain.ts';
import type { Committee } from './committee.ts';
import type { CheckedProposal } from './verify.ts';

/**
 * Votes of one kind, one counted per sender: the first a sender sends. A second, different vote from the same
 * sender is equivocation and is not counted (unless `countEquivocations`, the deliberately broken variant).
 */
export class Tally<M extends { readonly from: number; readonly id: Hash }> {
  readonly #first = new Map<number, string>();
  readonly #byId = new Map<string, Map<number, M>>();
  readonly #countEquivocations: boolean;

  constructor(countEquivocations = false) {
    this.#countEquivocations = countEquivocations;
  }

  /** Adds a (checked) message; returns its id in hex if it counted, undefined if it was ignored. */
  add(m: M): string | undefined {
    const idHex = toHex(m.id);
    const first = this.#first.get(m.from);
    if (first !== undefined && first !== idHex && !this.#countEquivocations) return undefined;
    if (first === undefined) this.#first.set(m.from, idHex);
    let votes = this.#byId.get(idHex);
    if (votes === undefined) {
      votes = new Map();
      this.#byId.set(idHex, votes);
    }
    if (votes.has(m.from)) return undefined;
    votes.set(m.from, m);
    return idHex;
  }

  count(idHex: string): number {
    return this.#byId.get(idHex)?.size ?? 0;
  }

  messages(idHex: string): M[] {
    return [...(this.#byId.get(idHex)?.values() ?? [])];
  }

  /** The id with at least `quorum` votes (the lowest such id if several, which a good committee never has). */
  withQuorum(quorum: number): string | undefined {
    let best: string | undefined;
    for (const [idHex, votes] of this.#byId) {
      if (votes.size >= quorum && (best === undefined || idHex < best)) best = idHex;
    }
    return best;
  }
}

export type Phase = 'proposing' | 'step1' | 'step2' | 'pbft' | 'done';

export class RoundState {
  readonly height: number;
  readonly head: BlockRecord;
  readonly committee: Committee;
  readonly epoch: number;
  phase: Phase = 'proposing';
  /** This node's proposal of this round (epoch) is out. */
  proposed = false;
  /** The round started before this node had its value: its proposal wait starts when the value comes. */
  awaitingValue = false;
  /** The proposal wait ended early (every member proposed): the step-1 timeout still counts from its end. */
  votedEarly = false;
  /** This node's VRF proof (its credential) and whether it selects this node into the final committee. */
  cred: Uint8Array | undefined;
  inFinal = false;
  readonly proposals = new Map<string, CheckedProposal>();
  /** VRF outputs of final-committee members, from their proposals: they rank the PBFT leaders. */
  readonly vrfOf = new Map<number, Uint8Array>();
  readonly step1: Tally<Vote>;
  readonly step2: Tally<Vote>;
  readonly prepares: Tally<Prepare>;
  readonly commits: Tally<Commit>;
  readonly prePrepares: PrePrepare[] = [];
  /** Reduction output (hex id), once stage III ends. */
  output: string | undefined;
  readonly emptyIdHex: string;
  /** Every message of this height, to replay if the round restarts on another head. */
  readonly raw: AcpMessage[] = [];

  constructor(
    head: BlockRecord,
    committee: Committee,
    emptyIdHex: string,
    epoch: number,
    countEquivocations: boolean,
  ) {
    this.height = head.height + 1;
    this.head = head;
    this.committee = committee;
    this.emptyIdHex = emptyIdHex;
    this.epoch = epoch;
    this.step1 = new Tally(countEquivocations);
    this.step2 = new Tally(countEquivocations);
    this.prepares = new Tally(countEquivocations);
    this.commits = new Tally(countEquivocations);
  }

  /**
   * Stage III choice: the proposal on our head with the largest size, ties by the lowest id; else empty. `usable`
   * confirms the pick (its VRF proof); a proposal it refuses is dropped from the round and the next one is tried.
   */
  candidate(usable: (p: CheckedProposal) => boolean = () => true): string {
    for (;;) {
      let best: CheckedProposal | undefined;
      for (const p of this.proposals.values()) {
        if (toHex(p.proposal.prev) !== this.head.idHex) continue;
        const size = p.proposal.size;
        if (best === undefined || size > best.proposal.size || (size === best.proposal.size && p.idHex < best.idHex)) best = p;
      }
      if (best === undefined) return this.emptyIdHex;
      if (usable(best)) return best.idHex;
      this.drop(best);
    }
  }

  /** Forgets a proposal whose VRF proof did not verify, and the output it claimed for its sender. */
  drop(p: CheckedProposal): void {
    this.proposals.delete(p.idHex);
    const claimed = this.vrfOf.get(p.proposal.from);
    if (claimed !== undefined && toHex(claimed) === toHex(p.vrfOutput)) this.vrfOf.delete(p.proposal.from);
  }

  /**
   * Stage IV 4.1: does `me` lead an instance for `output`? Lowest VRF outputs lead valid, highest lead empty.
   * `confirmed(from)` verifies the output `from` claimed (false drops it): only the outputs that rank ahead of
   * this node's are verified, so a forged claim can neither keep it from leading nor make it lead wrongly.
   */
  leads(me: number, validLeaders: number, emptyLeaders: number, confirmed: (from: number) => boolean = () => true): boolean {
    const mine = this.vrfOf.get(me);
    if (mine === undefined || this.output === undefined) return false;
    const ranked = [...this.vrfOf.entries()]
      .map(([from, out]) => ({ from, hex: toHex(out) }))
      .sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : a.from - b.from));
    const empty = this.output === this.emptyIdHex;
    const seats = empty ? emptyLeaders : validLeaders;
    let ahead = 0;
    for (const r of empty ? ranked.reverse() : ranked) {
      if (ahead >= seats) return false;
      if (r.from === me) return true;
      if (confirmed(r.from)) ahead += 1;
    }
    return false;
  }
}

/** What this node has sent at one height: never two different prepares or commits, whatever branch it is on. */
export interface SentMemo {
  voted1?: string;
  voted2?: string;
  prepared?: string;
  committed?: string;
  led?: boolean;
}
