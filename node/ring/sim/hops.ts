/**
 * The hop-count simulator (issue "Done when": ≤ 2 hops for every pair at N = 64, 256, 1,024 and for 1,000,000
 * sampled pairs at N = 32,768). It routes with slices only — the same sliceRoute a server runs — and checks every
 * request ends at unityOfKey of the full map.
 *
 * Memory stays bounded at N = 32,768: requests are processed hop by hop, sorted by the Unity they are at, so each
 * slice is built once per hop round and dropped from a small cache when the next Unity's turn comes, instead of
 * 32,768 slices of 362 entries held at once.
 */
import { seededRandom, type SeededRandom } from '../../net/sim/index.ts';
import { groupSize, routingTableSize } from '../groups.ts';
import { addToKey, KEY_LENGTH, keyToBigInt, rangeSize, type Key } from '../keyspace.ts';
import { unityOfKey } from '../locate.ts';
import type { RingMap } from '../map.ts';
import { sliceFor, sliceRoute, type RoutingSlice } from '../slice.ts';
import { randomRing } from './random-ring.ts';

export interface HopsOptions {
  readonly n: number;
  readonly seed: number | string;
  /** Ordered pairs of distinct Unities to route: all N(N − 1) by default when N ≤ 1,024, else this many sampled. */
  readonly pairs?: number;
  /** Slices kept built at once (default 64). */
  readonly sliceCacheSize?: number;
  readonly serversPerUnity?: number;
}

export interface HopsReport {
  readonly n: number;
  readonly g: number;
  readonly pairs: number;
  readonly allPairs: boolean;
  readonly maxHops: number;
  readonly meanHops: number;
  /** histogram[h] = pairs that took h hops. */
  readonly histogram: readonly number[];
  /** Requests delivered to a Unity other than the key's owner (must be 0). */
  readonly misrouted: number;
  /** Requests still travelling after MAX_ROUNDS hops (must be 0). */
  readonly unfinished: number;
  /** Routing entries (slice entries other than the Unity itself) over every Unity whose slice was built. */
  readonly routingEntriesPerUnity: { readonly min: number; readonly mean: number; readonly max: number };
  readonly unitiesMeasured: number;
  /** The exact count every Unity should have: (g − 1) + ⌊(N − 1)/g⌋. */
  readonly expectedEntries: number;
  readonly twoSqrtN: number;
  readonly slicesBuilt: number;
}

/** A request that has not arrived after this many hops is counted as unfinished instead of looping. */
const MAX_ROUNDS = 4;
const ALL_PAIRS_UP_TO = 1024;

class SliceCache {
  readonly #map: RingMap;
  readonly #capacity: number;
  readonly #cache = new Map<number, RoutingSlice>();
  readonly entries: Int32Array;
  built = 0;

  constructor(map: RingMap, capacity: number) {
    this.#map = map;
    this.#capacity = Math.max(1, capacity);
    this.entries = new Int32Array(map.unities.length).fill(-1);
  }

  get(u: number): RoutingSlice {
    let slice = this.#cache.get(u);
    if (slice !== undefined) return slice;
    slice = sliceFor(this.#map, u);
    this.built += 1;
    this.entries[u] = slice.entries.length - 1;
    if (this.#cache.size >= this.#capacity) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(u, slice);
    return slice;
  }
}

/** A key of Unity t: its first key, its last key, or a random one inside its range. */
function keyIn(map: RingMap, t: number, pick: number, random: SeededRandom): Key {
  const start = map.unities[t]!.start;
  const size = rangeSize(start, map.unities[(t + 1) % map.unities.length]!.start);
  if (pick === 0) return start;
  if (pick === 1) return addToKey(start, size - 1n);
  return addToKey(start, keyToBigInt(random.bytes(KEY_LENGTH)) % size);
}

/** Orders request indices by the Unity they are at (counting sort: O(requests + N)). */
function byUnity(active: Int32Array, at: Int32Array, n: number): Int32Array {
  const counts = new Int32Array(n + 1);
  for (const i of active) counts[at[i]! + 1]! += 1;
  for (let u = 0; u < n; u++) counts[u + 1]! += counts[u]!;
  const out = new Int32Array(active.length);
  for (const i of active) out[counts[at[i]!]!++] = i;
  return out;
}

export function simulateHops(options: HopsOptions): HopsReport {
  const { n } = options;
  const map = randomRing({ n, seed: options.seed, serversPerUnity: options.serversPerUnity ?? 1 });
  const random = seededRandom(`hops/${options.seed}`);
  const allPairs = options.pairs === undefined && n <= ALL_PAIRS_UP_TO;
  const total = n < 2 ? 0 : allPairs ? n * (n - 1) : (options.pairs ?? 100_000);
  const at = new Int32Array(total);
  const owner = new Int32Array(total);
  const keys = new Uint8Array(total * KEY_LENGTH);
  for (let i = 0; i < total; i++) {
    let u: number;
    let t: number;
    if (allPairs) {
      u = Math.floor(i / (n - 1));
      t = i % (n - 1);
    } else {
      u = random.int(n);
      t = random.int(n - 1);
    }
    if (t >= u) t += 1;
    const key = keyIn(map, t, i % 8, random);
    keys.set(key, i * KEY_LENGTH);
    at[i] = u;
    owner[i] = unityOfKey(map, key);
  }
  const cache = new SliceCache(map, options.sliceCacheSize ?? 64);
  const histogram = new Array<number>(MAX_ROUNDS + 1).fill(0);
  let misrouted = 0;
  let active = Int32Array.from({ length: total }, (_, i) => i);
  for (let hops = 0; hops <= MAX_ROUNDS && active.length > 0; hops++) {
    const moving: number[] = [];
    for (const i of byUnity(active, at, n)) {
      const key = keys.subarray(i * KEY_LENGTH, (i + 1) * KEY_LENGTH);
      const next = sliceRoute(cache.get(at[i]!), key);
      if (next.kind === 'here') {
        histogram[hops]! += 1;
        if (at[i] !== owner[i]) misrouted += 1;
      } else {
        at[i] = next.entry.index;
        moving.push(i);
      }
    }
    active = Int32Array.from(moving);
  }
  const unfinished = active.length;
  while (histogram.length > 1 && histogram[histogram.length - 1] === 0) histogram.pop();
  let sum = 0;
  histogram.forEach((count, h) => (sum += count * h));
  let min = Infinity;
  let max = -Infinity;
  let entries = 0;
  let measured = 0;
  for (const e of cache.entries) {
    if (e < 0) continue;
    min = Math.min(min, e);
    max = Math.max(max, e);
    entries += e;
    measured += 1;
  }
  return {
    n,
    g: groupSize(n),
    pairs: total,
    allPairs,
    maxHops: unfinished > 0 ? Infinity : histogram.length - 1,
    meanHops: sum / Math.max(1, total - unfinished),
    histogram,
    misrouted,
    unfinished,
    routingEntriesPerUnity: measured === 0 ? { min: 0, mean: 0, max: 0 } : { min, mean: entries / measured, max },
    unitiesMeasured: measured,
    expectedEntries: routingTableSize(n),
    twoSqrtN: 2 * Math.sqrt(n),
    slicesBuilt: cache.built,
  };
}
