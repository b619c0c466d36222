import { describe, expect, it } from 'vitest';
import { keyToBigInt, KEY_SPACE, rangeSize, validateMap } from '../../../../../node/ring/index.ts';
import { randomRing } from '../../../../../node/ring/sim/random-ring.ts';

describe('random rings', () => {
  it('are valid, reproducible from the seed, and have ranges of very different sizes', () => {
    const map = randomRing({ n: 2000, seed: 7, serversPerUnity: 2 });
    expect(validateMap(map)).toBe(map);
    expect(randomRing({ n: 2000, seed: 7, serversPerUnity: 2 })).toEqual(map);
    expect(randomRing({ n: 2000, seed: 8 }).unities[1]!.start).not.toEqual(map.unities[1]!.start);
    const sizes = map.unities.map((u, i) => rangeSize(u.start, map.unities[(i + 1) % 2000]!.start));
    const even = KEY_SPACE / 2000n;
    expect(sizes.some((s) => s < even / 20n)).toBe(true);
    expect(sizes.some((s) => s > even * 3n)).toBe(true);
    // Half the starts crowd into the first sixteenth of the key space.
    const crowded = map.unities.filter((u) => keyToBigInt(u.start) < KEY_SPACE / 16n).length;
    expect(crowded).toBeGreaterThan(900);
    expect(map.unities[5]!.servers.map((s) => s.id)).toEqual(['s5.0', 's5.1']);
  });
});
