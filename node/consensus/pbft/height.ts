/** What a PBFT node knows and has sent at its current height, per view. */
import { Tally } from '../acp/round.ts';
import type { Hash } from '../types.ts';
import type { PbftCommit, PbftPrepare, PbftViewChange, PreparedCertificate } from './types.ts';

export class HeightState {
  /** Block id (hex) → value, from the pre-prepares this node accepted. */
  readonly values = new Map<string, Hash>();
  /** View → the id of the one pre-prepare accepted in it. */
  readonly accepted = new Map<number, string>();
  readonly prepares = new Map<number, Tally<PbftPrepare>>();
  readonly commits = new Map<number, Tally<PbftCommit>>();
  readonly committed = new Set<number>();
  /** This node's highest prepared certificate at this height, carried by its view changes. */
  prepared: PreparedCertificate | undefined;
  readonly viewChanges = new Map<number, Map<number, PbftViewChange>>();
  /** Member → the highest view it asked for (the f + 1 jump rule). */
  readonly highestAsked = new Map<number, number>();
  readonly newViewSent = new Set<number>();
  vcQuorumView = -1;

  /** One vote counted per member and view: a member's second, different vote there is equivocation. */
  tally<M extends PbftPrepare | PbftCommit>(map: Map<number, Tally<M>>, view: number): Tally<M> {
    let t = map.get(view);
    if (t === undefined) {
      t = new Tally<M>();
      map.set(view, t);
    }
    return t;
  }
}

