/**
 * Generators for the ring's property tests: maps with non-uniform starts — some spread over the whole key space,
 * some crowded near 0 and adjacent to each other, as after many splits — and keys that favour range boundaries.
 */
import fc from 'fast-check';
import {
  DEFAULT_RING_PARAMS,
  keyFromBigInt,
  KEY_SPACE,
  keyToBigInt,
  unityIdFor,
  validateMap,
  type Key,
  type RingMap,
  type Unity,
} from '../../node/ring/index.ts';

/** Start offsets: anywhere, near 0 (dense, even adjacent), or at the very top of the key space. */
const startPoint = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 1n, max: KEY_SPACE - 1n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 1n << 20n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: KEY_SPACE - 64n, max: KEY_SPACE - 1n }) },
);

export interface MapShape {
  readonly maxUnities: number;
  readonly maxServers?: number;
}

/** A valid map of 1…maxUnities Unities with 1…maxServers servers each (ids p<u>.<i>). */
export function arbMap(shape: MapShape): fc.Arbitrary<RingMap> {
  return fc
    .tuple(
      fc.uniqueArray(startPoint, { maxLength: shape.maxUnities - 1 }),
      fc.array(fc.integer({ min: 1, max: shape.maxServers ?? 3 }), {
        minLength: shape.maxUnities,
        maxLength: shape.maxUnities,
      }),
      fc.bigInt({ min: 0n, max: 1n << 40n }),
    )
    .map(([points, sizes, epoch]) => buildMap([0n, ...points.sort((a, b) => (a < b ? -1 : 1))], sizes, epoch));
}

export function buildMap(starts: readonly bigint[], sizes: readonly number[], epoch = 1n): RingMap {
  const unities: Unity[] = starts.map((point, u) => {
    const start = keyFromBigInt(point);
    return {
      id: unityIdFor(start),
      start,
      servers: Array.from({ length: sizes[u] ?? 1 }, (_, i) => ({
        id: `p${u}.${i}`,
        addrs: [`/ip4/10.0.${u % 250}.${i}/tcp/4001`],
      })),
      guests: [],
      workers: [],
    };
  });
  return validateMap({ epoch, params: DEFAULT_RING_PARAMS, unities });
}

/** A map whose Unity i starts at i · 2^shift, with sizes[i] servers. */
export function spacedMap(sizes: readonly number[], shift = 240n): RingMap {
  return buildMap(
    sizes.map((_, i) => BigInt(i) << shift),
    sizes,
  );
}

/** Keys of a map: one of its starts, one key below a start, or anywhere. */
export function arbKeyOf(map: RingMap): fc.Arbitrary<Key> {
  const starts = map.unities.map((u) => keyToBigInt(u.start));
  return fc.oneof(
    fc.constantFrom(...starts).map((s) => keyFromBigInt(s)),
    fc.constantFrom(...starts).map((s) => keyFromBigInt(s - 1n)),
    fc.bigInt({ min: 0n, max: KEY_SPACE - 1n }).map((n) => keyFromBigInt(n)),
  );
}

/** A map together with a Unity index and a key of it. */
export function arbMapUnityKey(shape: MapShape): fc.Arbitrary<{ map: RingMap; u: number; key: Key }> {
  return arbMap(shape).chain((map) =>
    fc.record({ map: fc.constant(map), u: fc.nat({ max: map.unities.length - 1 }), key: arbKeyOf(map) }),
  );
}
