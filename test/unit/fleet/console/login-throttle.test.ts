/** The login throttle: at most maxFailures failures per key in any window, then a wait that ends on time. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../../../fleet/console/index.ts';

describe('login throttle', () => {
  it('lets a key fail maxFailures times, then makes it wait until the oldest failure leaves the window', () => {
    let t = 0;
    const throttle = createLoginThrottle({ now: () => t, maxFailures: 3, windowMs: 1000 });
    for (const at of [0, 100, 200]) {
      t = at;
      expect(throttle.waitMs('a')).toBe(0);
      throttle.failed('a');
    }
    t = 300;
    expect(throttle.waitMs('a')).toBe(700);
    expect(throttle.waitMs('b')).toBe(0); // another key is not affected
    t = 1000;
    expect(throttle.waitMs('a')).toBe(0);
    throttle.failed('a');
    t = 1001;
    expect(throttle.waitMs('a')).toBe(99); // failures at 100, 200, 1000: free again at 1100
    throttle.succeeded('a');
    expect(throttle.waitMs('a')).toBe(0);
  });

  it('never lets more than maxFailures failures of one key through in any window (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.constantFrom('a', 'b')), { maxLength: 80 }), (max, steps) => {
        let t = 0;
        const throttle = createLoginThrottle({ now: () => t, maxFailures: max, windowMs: 1000, maxKeys: 10 });
        const allowed: Record<string, number[]> = { a: [], b: [] };
        for (const [wait, key] of steps) {
          t += wait;
          if (throttle.waitMs(key) > 0) continue;
          throttle.failed(key);
          allowed[key]!.push(t);
          expect(allowed[key]!.filter((at) => at > t - 1000).length).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  it('forgets the least recently failed keys beyond maxKeys', () => {
    const throttle = createLoginThrottle({ now: () => 0, maxFailures: 1, maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) throttle.failed(key);
    expect(['a', 'b', 'c'].map((k) => throttle.waitMs(k) > 0)).toEqual([false, true, true]);
  });
});
