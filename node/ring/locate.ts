/** Which Unity owns a key: the one with the greatest start ≤ key (Unity 0 starts at 0, so there always is one). */
import { assertKey, compareKeys, type Key } from './keyspace.ts';
import { checkUnityIndex, type RingMap } from './map.ts';

/** Index of the Unity whose range holds `key`; O(log N). */
export function unityOfKey(map: RingMap, key: Key): number {
  assertKey(key);
  return greatestStartAtOrBelow(map.unities, key);
}

/**
 * Index of the last item whose start is ≤ key, or −1 when every start is above it. `items` must be sorted by
 * start; slices (slice.ts) use the same search over their known entries.
 */
export function greatestStartAtOrBelow(items: readonly { readonly start: Key }[], key: Key): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(items[mid]!.start, key) <= 0) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The range [start, end) of Unity u; `end` is the next Unity's start (Unity 0's start for the last one). */
export function unityRange(map: RingMap, u: number): { readonly start: Key; readonly end: Key } {
  const unity = checkUnityIndex(map, u);
  const next = map.unities[(u + 1) % map.unities.length]!;
  return { start: unity.start, end: next.start };
}
