import { describe, expect, it } from 'vitest';
import { SimError, seededRandom } from '../../../../../node/net/sim/index.ts';
import { codeOf } from '../../../../support/error-code.ts';

const draw = (seed: number | string, n: number) => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => r.next());
};

describe('seededRandom', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    expect(draw(42, 50)).toEqual(draw(42, 50));
    expect(draw('42', 5)).toEqual(draw(42, 5));
    expect(draw(43, 50)).not.toEqual(draw(42, 50));
    expect(seededRandom(1).bytes(37)).toEqual(seededRandom(1).bytes(37));
    expect(seededRandom(1).bytes(37)).toHaveLength(37);
  });

  it('draws floats in [0, 1) and integers below their bound, evenly', () => {
    const r = seededRandom('spread');
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]! += 1;
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    const ints = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) ints[r.int(7)]! += 1;
    for (const count of ints) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    let ones = 0;
    for (const byte of r.bytes(10_000)) for (let b = 0; b < 8; b++) ones += (byte >> b) & 1;
    expect(Math.abs(ones - 40_000)).toBeLessThan(600);
  });

  it('forks independent streams without moving the parent', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const child = a.fork('links');
    child.next();
    expect(a.next()).toBe(b.next());
    expect(seededRandom(9).fork('links').next()).toBe(seededRandom(9).fork('links').next());
    expect(seededRandom(9).fork('links').next()).not.toBe(seededRandom(9).fork('peers').next());
  });

  it('refuses impossible bounds', () => {
    const r = seededRandom(0);
    expect(codeOf(() => r.int(0), SimError)).toBe('BAD_ARGUMENT');
    expect(codeOf(() => r.int(2 ** 32 + 1), SimError)).toBe('BAD_ARGUMENT');
    expect(codeOf(() => r.bytes(-1), SimError)).toBe('BAD_ARGUMENT');
  });
});
