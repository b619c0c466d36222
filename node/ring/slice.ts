/**
 * The routing slice of Unity u: what a server of u (and a temporary worker attached to it) holds of the ring map
 * — u itself, its intra-group table and its counterparts, ≈ 2√N entries of the N (SPEC.md §5: a worker never
 * holds the whole map, so a compromised worker learns the addresses of a few hundred Unities, not of the ring).
 *
 * Routing needs nothing else. Entries are kept in ring order; the known Unity with the greatest start ≤ key
 * (circularly) is:
 *   - u itself: the key is u's (u + 1 is known, so u's range end is known);
 *   - a Unity of u's own group (distance < g): the owner, since the Unity after it is known too (the next intra
 *     entry, the first counterpart u + g, or u itself when g ≥ N): one hop;
 *   - a counterpart c: the owner lies in [c, next known entry), i.e. less than g after c, inside c's intra table:
 *     forward to c, which answers with one more hop.
 * So no start beyond those of the known entries is needed.
 */
import { RingError } from './errors.ts';
import { groupSize, routingTableSize, unityDistance } from './groups.ts';
import { compareKeys, isKey, type Key } from './keyspace.ts';
import { greatestStartAtOrBelow } from './locate.ts';
import {
  checkUnityIndex,
  MAX_SERVER_LIMIT,
  MAX_UNITIES,
  validatePeerRef,
  type RingMap,
  type ServerEntry,
} from './map.ts';

export interface SliceEntry {
  /** The Unity's index in the map of the slice's epoch. */
  readonly index: number;
  readonly id: string;
  readonly start: Key;
  readonly servers: readonly ServerEntry[];
}

export interface RoutingSlice {
  readonly epoch: bigint;
  /** N, the number of Unities. */
  readonly n: number;
  /** ⌈√N⌉. */
  readonly g: number;
  /** u, the Unity the slice is for. */
  readonly index: number;
  /** u, its intra table and its counterparts, in ring order (ascending index, hence ascending start). */
  readonly entries: readonly SliceEntry[];
}

export type SliceRoute =
  | { readonly kind: 'here' }
  | { readonly kind: 'direct'; readonly entry: SliceEntry }
  | { readonly kind: 'via'; readonly entry: SliceEntry };

const HERE: SliceRoute = { kind: 'here' };

/** The Unity indices a slice of u holds, ascending: u, u + 1 … u + g − 1, and u + k·g for k·g < N (mod N). */
export function sliceIndices(u: number, n: number): number[] {
  const g = groupSize(n);
  const out: number[] = [];
  for (let d = 0; d < g && d < n; d++) out.push((u + d) % n);
  for (let d = g; d < n; d += g) out.push((u + d) % n);
  return out.sort((a, b) => a - b);
}

/** Entries a slice holds, u's own included: 1 + routingTableSize(N). */
export function sliceSize(n: number): number {
  return 1 + routingTableSize(n);
}

/** The slice of Unity u. Entries share the map's server lists (no copy); encode it to send it. */
export function sliceFor(map: RingMap, u: number): RoutingSlice {
  checkUnityIndex(map, u);
  const n = map.unities.length;
  const entries = sliceIndices(u, n).map((index): SliceEntry => {
    const unity = map.unities[index]!;
    return { index, id: unity.id, start: unity.start, servers: unity.servers };
  });
  return { epoch: map.epoch, n, g: groupSize(n), index: u, entries };
}

/** Where a request for `key` goes next, from the slice alone. */
export function sliceRoute(slice: RoutingSlice, key: Key): SliceRoute {
  const { entries } = slice;
  let i = greatestStartAtOrBelow(entries, key);
  if (i < 0) i = entries.length - 1; // below every known start: the key follows the last known entry, circularly
  const entry = entries[i]!;
  if (entry.index === slice.index) return HERE;
  return unityDistance(slice.index, entry.index, slice.n) < slice.g
    ? { kind: 'direct', entry }
    : { kind: 'via', entry };
}

/** The slice's entry for its own Unity. */
export function ownEntry(slice: RoutingSlice): SliceEntry {
  return slice.entries.find((entry) => entry.index === slice.index)!;
}

function bad(path: string, why: string): never {
  throw new RingError('BAD_SLICE', `${path}: ${why}`);
}

/**
 * Throws BAD_SLICE unless the slice holds exactly the entries its Unity needs, in ring order with strictly
 * increasing starts (Unity 0, when present, at key 0), each with 1…MAX_SERVER_LIMIT distinct servers.
 */
export function validateSlice(slice: RoutingSlice): RoutingSlice {
  const { n, index } = slice;
  if (typeof slice.epoch !== 'bigint' || slice.epoch < 0n || slice.epoch >= 1n << 64n) bad('epoch', 'must be a u64');
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_UNITIES) bad('n', `must be 1…${MAX_UNITIES}`);
  if (slice.g !== groupSize(n)) bad('g', `must be ⌈√${n}⌉ = ${groupSize(n)}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) bad('index', `must be 0…${n - 1}`);
  const expected = sliceIndices(index, n);
  if (slice.entries.length !== expected.length) {
    bad('entries', `expected ${expected.length}, got ${slice.entries.length}`);
  }
  const servers = new Set<string>();
  const ids = new Set<string>();
  for (const [i, entry] of slice.entries.entries()) {
    const path = `entries[${i}]`;
    if (entry.index !== expected[i]) bad(`${path}.index`, `expected Unity ${expected[i]}, got ${entry.index}`);
    if (typeof entry.id !== 'string' || entry.id.length === 0 || ids.has(entry.id)) {
      bad(`${path}.id`, 'missing or repeated');
    }
    ids.add(entry.id);
    if (!isKey(entry.start)) bad(`${path}.start`, 'must be 32 bytes');
    const isZero = entry.start.every((byte) => byte === 0);
    if ((entry.index === 0) !== isZero) bad(`${path}.start`, 'Unity 0, and only Unity 0, starts at key 0');
    if (i > 0 && compareKeys(slice.entries[i - 1]!.start, entry.start) >= 0) {
      bad(`${path}.start`, 'starts must increase');
    }
    if (entry.servers.length < 1 || entry.servers.length > MAX_SERVER_LIMIT) {
      bad(`${path}.servers`, `must hold 1…${MAX_SERVER_LIMIT} servers`);
    }
    for (const [j, server] of entry.servers.entries()) {
      validatePeerRef(server, `${path}.servers[${j}]`, bad);
      if (servers.has(server.id)) bad(`${path}.servers[${j}]`, `${server.id} appears twice`);
      servers.add(server.id);
    }
  }
  return slice;
}
