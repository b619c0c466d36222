/**
 * PBFT view changes: checking view-change and new-view messages, the value a new view must re-propose, and the
 * view a lagging node jumps to. Safety across views: a value committed in view v was prepared by a quorum, so any
 * quorum of view changes for a later view holds an honest member's certificate for it at view ≥ v, and the new
 * leader must re-propose the value of the highest certificate — by induction, the same value.
 */
import { toHex } from '../../crypto/index.ts';
import type { Hash } from '../types.ts';
import { preparedValid, signedValid, type PbftVerifier } from './messages.ts';
import { leaderOf, type PbftNewView, type PbftViewChange, type PreparedCertificate } from './types.ts';

/** A signed view change for `height` whose certificate, if any, is valid and from an earlier view. */
export function viewChangeValid(vc: PbftViewChange, height: number, v: PbftVerifier): boolean {
  if (vc.kind !== 'view-change' || vc.height !== height || !signedValid(vc, v)) return false;
  const p = vc.prepared;
  return p === undefined || (Number.isSafeInteger(p.view) && p.view >= 0 && p.view < vc.view && preparedValid(height, p, v));
}

/** The certificate of the highest view among `vcs` (ties: the lowest value, which a good quorum never needs). */
export function highestPrepared(vcs: Iterable<PbftViewChange>): PreparedCertificate | undefined {
  let best: PreparedCertificate | undefined;
  for (const vc of vcs) {
    const p = vc.prepared;
    if (p === undefined) continue;
    if (best === undefined || p.view > best.view || (p.view === best.view && toHex(p.valueHash) < toHex(best.valueHash))) best = p;
  }
  return best;
}

/**
 * A new-view for `height`: a pre-prepare by the leader of its view, a quorum of valid view changes for that view
 * from distinct members, and the value those certificates force (any value when none is prepared).
 */
export function newViewValid(nv: PbftNewView, height: number, n: number, v: PbftVerifier): boolean {
  const pp = nv.prePrepare;
  if (pp.kind !== 'preprepare' || pp.height !== height || pp.view < 1 || pp.from !== leaderOf(height, pp.view, n)) return false;
  if (!signedValid(pp, v)) return false;
  const senders = new Set<number>();
  const valid: PbftViewChange[] = [];
  for (const vc of nv.viewChanges) {
    if (vc.view !== pp.view || senders.has(vc.from) || !viewChangeValid(vc, height, v)) continue;
    senders.add(vc.from);
    valid.push(vc);
  }
  if (valid.length < v.quorum) return false;
  const forced = highestPrepared(valid);
  return forced === undefined || toHex(forced.valueHash) === toHex(pp.valueHash);
}

/**
 * The view to join on others' view changes: the highest view that at least `atLeast` members (f + 1, so one of
 * them honest) have asked for, if above `current`.
 */
export function jumpTarget(highest: ReadonlyMap<number, number>, atLeast: number, current: number): number | undefined {
  const views = [...highest.values()].sort((a, b) => b - a);
  const w = views[atLeast - 1];
  return w !== undefined && w > current ? w : undefined;
}

export function sameHash(a: Hash, b: Hash): boolean {
  return toHex(a) === toHex(b);
}
