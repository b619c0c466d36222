/**
 * Rings for the simulator: N Unities whose starts are seeded random points, half of them crowded into the first
 * sixteenth of the key space, so ranges differ in size by orders of magnitude as they do after many splits.
 */
import { seededRandom, type SeededRandom } from '../../net/sim/index.ts';
import { compareKeys, KEY_LENGTH, keyToHex, ZERO_KEY, type Key } from '../keyspace.ts';
import { DEFAULT_RING_PARAMS, unityIdFor, validateMap, type RingMap, type Unity } from '../map.ts';

export interface RandomRingOptions {
  readonly n: number;
  readonly seed: number | string;
  /** Servers of each Unity (default 1): synthetic ids `s<unity>.<i>`, no addresses. */
  readonly serversPerUnity?: number;
}

function randomStart(random: SeededRandom): Key {
  const key = random.bytes(KEY_LENGTH);
  if (random.next() < 0.5) key[0] = key[0]! & 0x0f;
  return key;
}

/** Sorted, distinct, non-zero random starts, then key 0 for Unity 0. */
export function randomStarts(n: number, random: SeededRandom): Key[] {
  const seen = new Set<string>([keyToHex(ZERO_KEY)]);
  const starts: Key[] = [];
  while (starts.length < n - 1) {
    const key = randomStart(random);
    const hex = keyToHex(key);
    if (seen.has(hex)) continue;
    seen.add(hex);
    starts.push(key);
  }
  starts.sort(compareKeys);
  return [ZERO_KEY, ...starts];
}

export function randomRing(options: RandomRingOptions): RingMap {
  const random = seededRandom(`ring/${options.seed}`);
  const per = options.serversPerUnity ?? 1;
  const unities: Unity[] = randomStarts(options.n, random).map((start, u) => ({
    id: unityIdFor(start),
    start,
    servers: Array.from({ length: per }, (_, i) => ({ id: `s${u}.${i}`, addrs: [] })),
    guests: [],
    workers: [],
  }));
  return validateMap({ epoch: 1n, params: DEFAULT_RING_PARAMS, unities });
}
