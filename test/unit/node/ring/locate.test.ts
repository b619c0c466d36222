import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareKeys,
  inRange,
  keyFromBigInt,
  KEY_SPACE,
  RingError,
  unityOfKey,
  unityRange,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { arbKeyOf, arbMap, buildMap } from '../../../support/ring-arbitraries.ts';

describe('unityOfKey', () => {
  it('finds the Unity with the greatest start ≤ key, whose range holds the key', () => {
    const cases = arbMap({ maxUnities: 40 }).chain((map) => fc.tuple(fc.constant(map), arbKeyOf(map)));
    fc.assert(
      fc.property(cases, ([map, key]) => {
        const u = unityOfKey(map, key);
        let linear = 0;
        map.unities.forEach((unity, i) => {
          if (compareKeys(unity.start, key) <= 0) linear = i;
        });
        expect(u).toBe(linear);
        const { start, end } = unityRange(map, u);
        expect(inRange(key, start, end)).toBe(true);
      }),
      { seed: 30, numRuns: 1000 },
    );
  });

  it('gives the last Unity the keys up to 2^256 − 1 and a lone Unity everything', () => {
    const map = buildMap([0n, 10n, 20n], [1, 1, 1]);
    expect(unityOfKey(map, keyFromBigInt(0n))).toBe(0);
    expect(unityOfKey(map, keyFromBigInt(9n))).toBe(0);
    expect(unityOfKey(map, keyFromBigInt(10n))).toBe(1);
    expect(unityOfKey(map, keyFromBigInt(KEY_SPACE - 1n))).toBe(2);
    expect(unityOfKey(buildMap([0n], [1]), keyFromBigInt(KEY_SPACE - 1n))).toBe(0);
    expect(codeOf(() => unityOfKey(map, new Uint8Array(3)), RingError)).toBe('BAD_KEY');
    expect(codeOf(() => unityRange(map, 3), RingError)).toBe('UNKNOWN_UNITY');
  });
});
