/**
 * Which transitions a map needs given who is down (SPEC.md §5): a Unity at the server limit splits; one with
 * fewer live servers than minServers merges with its smaller neighbour once the policy says it has been small
 * long enough (a whole epoch in the spec; the managers who track time decide); one with fewer live servers than
 * the replica count gives back its down guests and borrows live ones up to that count; one with enough live
 * servers gives all its guests back.
 *
 * Transitions name Unities by id, which survives the index shifts of earlier splits and merges in the same plan,
 * and no Unity is touched by two transitions of one plan.
 */
import { RingError } from './errors.ts';
import { unityIndexById, type RingMap, type ServerEntry, type Unity } from './map.ts';
import {
  ALL_LIVE,
  borrow,
  borrowCandidates,
  join,
  leave,
  merge,
  mergePartner,
  release,
  split,
  type Liveness,
} from './transitions.ts';

export type Transition =
  | { readonly kind: 'join'; readonly server: ServerEntry; readonly unity?: string }
  | { readonly kind: 'leave'; readonly server: string }
  | { readonly kind: 'split'; readonly unity: string }
  | { readonly kind: 'merge'; readonly unity: string }
  | { readonly kind: 'borrow'; readonly unity: string; readonly count: number }
  /** Without `guests`: every guest. */
  | { readonly kind: 'release'; readonly unity: string; readonly guests?: readonly string[] };

export interface MaintenancePolicy {
  /** Whether a Unity below minServers has been so long enough to merge; default: at once. */
  mergeDue?(unity: Unity, index: number): boolean;
}

const liveCount = (servers: readonly { readonly id: string }[], liveness: Liveness) =>
  servers.reduce((n, s) => (liveness.isDown(s.id) ? n : n + 1), 0);

export function planMaintenance(
  map: RingMap,
  liveness: Liveness = ALL_LIVE,
  policy: MaintenancePolicy = {},
): Transition[] {
  const { serverLimit, minServers, replicas } = map.params;
  const touched = new Set<number>();
  const plan: Transition[] = [];
  const touch = (u: number, ...transitions: Transition[]) => {
    if (transitions.length === 0) return;
    touched.add(u);
    plan.push(...transitions);
  };
  map.unities.forEach((unity, u) => {
    if (touched.has(u)) return;
    const live = liveCount(unity.servers, liveness);
    if (unity.servers.length >= serverLimit) return touch(u, { kind: 'split', unity: unity.id });
    if (live < minServers && (policy.mergeDue?.(unity, u) ?? true)) {
      const partner = mergePartner(map, u);
      const pooled = partner < 0 ? Infinity : unity.servers.length + map.unities[partner]!.servers.length;
      if (!touched.has(partner) && pooled <= serverLimit) {
        touched.add(partner);
        return touch(u, { kind: 'merge', unity: unity.id });
      }
    }
    if (live >= replicas) {
      return unity.guests.length > 0 ? touch(u, { kind: 'release', unity: unity.id }) : undefined;
    }
    const transitions: Transition[] = [];
    const downGuests = unity.guests.filter((g) => liveness.isDown(g.id)).map((g) => g.id);
    if (downGuests.length > 0) transitions.push({ kind: 'release', unity: unity.id, guests: downGuests });
    const need = replicas - live - (unity.guests.length - downGuests.length);
    const count = Math.min(need, borrowCandidates(map, u, liveness).length);
    if (count > 0) transitions.push({ kind: 'borrow', unity: unity.id, count });
    return touch(u, ...transitions);
  });
  return plan;
}

export function applyTransition(map: RingMap, transition: Transition, liveness: Liveness = ALL_LIVE): RingMap {
  switch (transition.kind) {
    case 'join':
      return join(
        map,
        transition.server,
        transition.unity === undefined ? undefined : unityIndexById(map, transition.unity),
      );
    case 'leave':
      return leave(map, transition.server);
    case 'split':
      return split(map, unityIndexById(map, transition.unity));
    case 'merge':
      return merge(map, unityIndexById(map, transition.unity));
    case 'borrow':
      return borrow(map, unityIndexById(map, transition.unity), transition.count, liveness);
    case 'release':
      return release(map, unityIndexById(map, transition.unity), transition.guests);
    default:
      throw new RingError('BAD_MAP', `unknown transition ${JSON.stringify(transition satisfies never)}`);
  }
}

/** Applies a plan in order; the result is one new map at epoch + 1, as one manager decision records one epoch. */
export function applyTransitions(
  map: RingMap,
  transitions: readonly Transition[],
  liveness: Liveness = ALL_LIVE,
): RingMap {
  if (transitions.length === 0) return map;
  const result = transitions.reduce((current, t) => applyTransition(current, t, liveness), map);
  return { ...result, epoch: map.epoch + 1n };
}
