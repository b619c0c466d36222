import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSlice,
  encodeSlice,
  groupSize,
  ownEntry,
  route,
  RingError,
  sliceFor,
  sliceIndices,
  sliceRoute,
  sliceSize,
  unityOfKey,
  validateSlice,
  type Key,
  type RingMap,
  type RoutingSlice,
} from '../../../../node/ring/index.ts';
import { encodeCbor, decodeCbor, type CborMap } from '../../../../node/wire/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { arbMapUnityKey, buildMap, spacedMap } from '../../../support/ring-arbitraries.ts';

/** Routes from u with slices only; returns the Unities visited after u. */
function sliceHops(map: RingMap, u: number, key: Key, slices = new Map<number, RoutingSlice>()): number[] {
  const visited: number[] = [];
  let at = u;
  for (let i = 0; i < 5; i++) {
    const slice = slices.get(at) ?? sliceFor(map, at);
    slices.set(at, slice);
    const next = sliceRoute(slice, key);
    if (next.kind === 'here') return visited;
    if (next.kind === 'direct') expect(unityOfKey(map, key)).toBe(next.entry.index);
    at = next.entry.index;
    visited.push(at);
  }
  throw new Error('no arrival after 5 hops');
}

describe('routing slices', () => {
  it('route from any Unity to the owner of any key in ≤ 2 hops, exactly as full-map routing does', () => {
    fc.assert(
      fc.property(arbMapUnityKey({ maxUnities: 120 }), ({ map, u, key }) => {
        const hops = sliceHops(map, u, key);
        const owner = unityOfKey(map, key);
        expect(hops.length).toBeLessThanOrEqual(2);
        expect(hops.at(-1) ?? u).toBe(owner);
        expect(hops).toEqual(route(u, owner, map.unities.length));
      }),
      { seed: 40, numRuns: 3000 },
    );
  });

  it('holds u, its intra table and its counterparts: 1 + (g − 1) + ⌊(N − 1)/g⌋ entries', () => {
    const map = spacedMap(new Array<number>(100).fill(1));
    const slice = sliceFor(map, 95);
    expect(slice.g).toBe(10);
    expect(slice.entries.map((e) => e.index)).toEqual([
      1, 2, 3, 4, 5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 96, 97, 98, 99, 0,
    ].sort((a, b) => a - b));
    expect(slice.entries).toHaveLength(sliceSize(100));
    expect(ownEntry(slice).index).toBe(95);
    expect(slice.entries[0]!.servers).toBe(map.unities[0]!.servers);
    expect(sliceIndices(0, 1)).toEqual([0]);
    expect(sliceRoute(sliceFor(buildMap([0n], [1]), 0), new Uint8Array(32))).toEqual({ kind: 'here' });
  });

  it('encodes deterministically and decodes to an equal slice', () => {
    fc.assert(
      fc.property(arbMapUnityKey({ maxUnities: 60, maxServers: 3 }), ({ map, u }) => {
        const slice = sliceFor(map, u);
        const bytes = encodeSlice(slice);
        const back = decodeSlice(bytes);
        expect(back).toEqual(slice);
        expect(encodeSlice(back)).toEqual(bytes);
      }),
      { seed: 41, numRuns: 300 },
    );
  });

  it('refuses slices that lack an entry, hold a wrong one, or are out of order', () => {
    const map = spacedMap(new Array<number>(30).fill(2), 248n);
    const slice = sliceFor(map, 7);
    const tamper = (change: (value: CborMap) => void) => {
      const value = decodeCbor(encodeSlice(slice)) as CborMap;
      change(value);
      return codeOf(() => decodeSlice(encodeCbor(value)), RingError);
    };
    const entries = (v: CborMap) => v.entries as CborMap[];
    expect(tamper((v) => entries(v).pop())).toBe('BAD_SLICE');
    expect(tamper((v) => (entries(v)[3]!.index = 29))).toBe('BAD_SLICE');
    expect(tamper((v) => (v.g = 5))).toBe('BAD_SLICE');
    expect(tamper((v) => (v.index = 30))).toBe('BAD_SLICE');
    expect(tamper((v) => (entries(v)[2]!.start = entries(v)[1]!.start!))).toBe('BAD_SLICE');
    expect(tamper((v) => (entries(v)[2]!.servers = []))).toBe('BAD_SLICE');
    expect(tamper((v) => (entries(v)[2]!.servers = entries(v)[1]!.servers!))).toBe('BAD_SLICE');
    expect(tamper((v) => (entries(v)[0]!.start = new Uint8Array(32)))).toBe('BAD_SLICE'); // Unity 1 at key 0
    const zeroSlice = decodeCbor(encodeSlice(sliceFor(map, 0))) as CborMap;
    entries(zeroSlice)[0]!.start = new Uint8Array(32).fill(1);
    expect(codeOf(() => decodeSlice(encodeCbor(zeroSlice)), RingError)).toBe('BAD_SLICE'); // Unity 0 off key 0
    expect(tamper((v) => (v.bogus = 1))).toBe('MALFORMED');
    expect(codeOf(() => decodeSlice(new Uint8Array([1, 2, 3])), RingError)).toBe('MALFORMED');
    expect(validateSlice(slice)).toBe(slice);
    expect(groupSize(30)).toBe(slice.g);
  });
});
