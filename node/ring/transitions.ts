/**
 * Pure ring-map transitions (SPEC.md §5 "Ring change", "Small Unities"). Each takes a valid map and returns a new,
 * validated map at epoch + 1; the input is never modified. Keys change owner only inside the range of a split or
 * merged Unity, and no server is lost except by leave.
 */
import { RingError } from './errors.ts';
import { midpoint } from './keyspace.ts';
import {
  checkUnityIndex,
  unityIdFor,
  unityOfServer,
  validateMap,
  type RingMap,
  type ServerEntry,
  type Unity,
} from './map.ts';

/** Which servers count as down; a borrow never picks one. */
export interface Liveness {
  isDown(serverId: string): boolean;
}

export const ALL_LIVE: Liveness = { isDown: () => false };

function withUnities(map: RingMap, unities: readonly Unity[]): RingMap {
  return validateMap({ epoch: map.epoch + 1n, params: map.params, unities });
}

function replace(map: RingMap, index: number, ...unities: Unity[]): Unity[] {
  return [...map.unities.slice(0, index), ...unities, ...map.unities.slice(index + 1)];
}

const byId = (a: { readonly id: string }, b: { readonly id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Adds a server to Unity `unityIndex`, by default the one with the fewest servers (the lowest index on a tie).
 * A temporary worker that is promoted leaves the worker lists. DUPLICATE_SERVER if it already serves a Unity,
 * UNITY_FULL if the Unity is at the server limit.
 */
export function join(map: RingMap, server: ServerEntry, unityIndex?: number): RingMap {
  if (unityOfServer(map, server.id) >= 0) {
    throw new RingError('DUPLICATE_SERVER', `${server.id} already serves a Unity`);
  }
  let target = unityIndex ?? 0;
  if (unityIndex === undefined) {
    map.unities.forEach((unity, i) => {
      if (unity.servers.length < map.unities[target]!.servers.length) target = i;
    });
  }
  const unity = checkUnityIndex(map, target);
  if (unity.servers.length >= map.params.serverLimit) {
    throw new RingError('UNITY_FULL', `Unity ${target} is at the limit of ${map.params.serverLimit} servers`);
  }
  const entry: ServerEntry = { id: server.id, addrs: [...server.addrs] };
  const unities = map.unities.map((u, i) => {
    const workers = u.workers.includes(server.id) ? u.workers.filter((w) => w !== server.id) : u.workers;
    if (i === target) return { ...u, servers: [...u.servers, entry], workers };
    return workers === u.workers ? u : { ...u, workers };
  });
  return withUnities(map, unities);
}

/** Removes a server from its Unity and from every guest list. UNKNOWN_SERVER, or LAST_SERVER for a sole server. */
export function leave(map: RingMap, serverId: string): RingMap {
  const home = unityOfServer(map, serverId);
  if (home < 0) throw new RingError('UNKNOWN_SERVER', `${serverId} serves no Unity`);
  if (map.unities[home]!.servers.length === 1) {
    throw new RingError('LAST_SERVER', `${serverId} is the last server of Unity ${home}; merge the Unity instead`);
  }
  const unities = map.unities.map((unity, i) => {
    const servers = i === home ? unity.servers.filter((s) => s.id !== serverId) : unity.servers;
    const guests = unity.guests.some((g) => g.id === serverId)
      ? unity.guests.filter((g) => g.id !== serverId)
      : unity.guests;
    return servers === unity.servers && guests === unity.guests ? unity : { ...unity, servers, guests };
  });
  return withUnities(map, unities);
}

/**
 * Splits Unity u, which has reached the server limit, into two adjacent Unities halving its range: the lower
 * half keeps u's id and the first ⌈n/2⌉ servers sorted by id, the upper half gets the rest and the id of its
 * start; workers are divided the same way and guests are released (each half has ≥ serverLimit/2 servers).
 */
export function split(map: RingMap, u: number): RingMap {
  const unity = checkUnityIndex(map, u);
  const n = unity.servers.length;
  if (n < map.params.serverLimit) {
    throw new RingError('CANNOT_SPLIT', `Unity ${u} has ${n} servers; it splits at ${map.params.serverLimit}`);
  }
  const next = map.unities[(u + 1) % map.unities.length]!;
  const mid = midpoint(unity.start, next.start);
  const servers = [...unity.servers].sort(byId);
  const workers = [...unity.workers].sort();
  const half = Math.ceil(n / 2);
  const halfWorkers = Math.ceil(workers.length / 2);
  const lower: Unity = {
    id: unity.id,
    start: unity.start,
    servers: servers.slice(0, half),
    guests: [],
    workers: workers.slice(0, halfWorkers),
  };
  const upper: Unity = {
    id: unityIdFor(mid),
    start: mid,
    servers: servers.slice(half),
    guests: [],
    workers: workers.slice(halfWorkers),
  };
  return withUnities(map, replace(map, u, lower, upper));
}

/**
 * The neighbour Unity u merges with: the adjacent one with fewer servers (the lower one on a tie). Merges never
 * wrap from the last Unity to the first, which keeps Unity 0 at key 0. −1 when u is alone.
 */
export function mergePartner(map: RingMap, u: number): number {
  checkUnityIndex(map, u);
  const last = map.unities.length - 1;
  if (last === 0) return -1;
  if (u === 0) return 1;
  if (u === last) return u - 1;
  return map.unities[u + 1]!.servers.length < map.unities[u - 1]!.servers.length ? u + 1 : u - 1;
}

/**
 * Merges Unity u with mergePartner(map, u): one Unity over both ranges, with the lower one's id and start, both
 * server lists pooled, guests kept only while the pool is below the replica count. CANNOT_MERGE for a lone
 * Unity or a pool above the server limit.
 */
export function merge(map: RingMap, u: number): RingMap {
  const partner = mergePartner(map, u);
  if (partner < 0) throw new RingError('CANNOT_MERGE', 'the only Unity of the ring has nothing to merge with');
  const lowerIndex = Math.min(u, partner);
  const lower = map.unities[lowerIndex]!;
  const upper = map.unities[lowerIndex + 1]!;
  const servers = [...lower.servers, ...upper.servers];
  if (servers.length > map.params.serverLimit) {
    const pair = `Unities ${lowerIndex} and ${lowerIndex + 1}`;
    const why = `${pair} pool ${servers.length} servers, over the limit of ${map.params.serverLimit}`;
    throw new RingError('CANNOT_MERGE', why);
  }
  const own = new Set(servers.map((s) => s.id));
  const guests: ServerEntry[] = [];
  for (const guest of [...lower.guests, ...upper.guests]) {
    if (!own.has(guest.id) && !guests.some((g) => g.id === guest.id)) guests.push(guest);
  }
  const merged: Unity = {
    id: lower.id,
    start: lower.start,
    servers,
    guests: guests.slice(0, Math.max(0, map.params.replicas - servers.length)),
    workers: [...lower.workers, ...upper.workers],
  };
  const unities = [...map.unities.slice(0, lowerIndex), merged, ...map.unities.slice(lowerIndex + 2)];
  return withUnities(map, unities);
}

/**
 * Live servers of other Unities that u could borrow, in order of preference: nearest neighbours first (the two
 * at distance 1 taken in turn, then distance 2, …), by id within a Unity, skipping u's current guests.
 */
export function borrowCandidates(map: RingMap, u: number, liveness: Liveness = ALL_LIVE): ServerEntry[] {
  const unity = checkUnityIndex(map, u);
  const n = map.unities.length;
  const taken = new Set(unity.guests.map((g) => g.id));
  const usable = (i: number) =>
    [...map.unities[i]!.servers].sort(byId).filter((s) => !taken.has(s.id) && !liveness.isDown(s.id));
  const out: ServerEntry[] = [];
  for (let d = 1; 2 * d <= n; d++) {
    const after = usable((u + d) % n);
    const before = (u - d + n) % n === (u + d) % n ? [] : usable((u - d + n) % n);
    for (let i = 0; i < Math.max(after.length, before.length); i++) {
      if (i < after.length) out.push(after[i]!);
      if (i < before.length) out.push(before[i]!);
    }
  }
  return out;
}

/** Adds `count` guests to Unity u from borrowCandidates. CANNOT_BORROW if too few, or past the replica count. */
export function borrow(map: RingMap, u: number, count: number, liveness: Liveness = ALL_LIVE): RingMap {
  const unity = checkUnityIndex(map, u);
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RingError('CANNOT_BORROW', `borrow at least one server, not ${count}`);
  }
  if (unity.guests.length + count > map.params.replicas) {
    throw new RingError('CANNOT_BORROW', `Unity ${u} may hold at most ${map.params.replicas} guests`);
  }
  const candidates = borrowCandidates(map, u, liveness);
  if (candidates.length < count) {
    throw new RingError('CANNOT_BORROW', `Unity ${u} needs ${count} guests; its neighbours offer ${candidates.length}`);
  }
  const guests = [...unity.guests, ...candidates.slice(0, count).map((s) => ({ id: s.id, addrs: [...s.addrs] }))];
  return withUnities(map, replace(map, u, { ...unity, guests }));
}

/** Gives back the named guests of Unity u, or all of them. */
export function release(map: RingMap, u: number, guestIds?: readonly string[]): RingMap {
  const unity = checkUnityIndex(map, u);
  const guests = guestIds === undefined ? [] : unity.guests.filter((g) => !guestIds.includes(g.id));
  return withUnities(map, replace(map, u, { ...unity, guests }));
}
