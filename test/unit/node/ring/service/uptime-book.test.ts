/**
 * The UptimeBook's counting: over any sequence of heartbeats and drains, the drains together report every
 * interval that had a heartbeat exactly once (seen) and every interval since the first heartbeat exactly once
 * (expected); a report that did not reach the pool, restored, is reported by the next drain; served grows by what
 * the node's cumulative count grew by, and a restarted node (count back to 0) is not reported negative.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../../node/net/index.ts';
import { UptimeBook, type UptimeCount } from '../../../../../node/ring/service/uptime-book.ts';

function clockAt(time: { t: number }): Clock {
  return {
    now: () => time.t,
    setTimeout: () => {
      throw new Error('not used');
    },
    clearTimeout: () => undefined,
  } as unknown as Clock;
}

const sum = (counts: readonly UptimeCount[], f: (c: UptimeCount) => number) => counts.reduce((a, c) => a + f(c), 0);

describe('UptimeBook', () => {
  it('counts every interval with a heartbeat once and every interval since the first once, across drains and restores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 700 }), op: fc.constantFrom('beat', 'beat', 'drain', 'lost-drain') }), { minLength: 1, maxLength: 60 }),
        (ops) => {
          const time = { t: 1_000 };
          const book = new UptimeBook({ clock: clockAt(time), intervalMs: 100 });
          const beats = new Set<number>();
          const reported: UptimeCount[] = [];
          for (const { gap, op } of ops) {
            time.t += gap;
            if (op === 'beat') {
              expect(book.beat('n')).toBe(Math.floor(time.t / 100));
              beats.add(Math.floor(time.t / 100));
            } else {
              const counts = book.drain();
              if (op === 'drain') reported.push(...counts);
              else book.restore(counts);
            }
          }
          time.t += 100; // the last heartbeat's interval is over
          reported.push(...book.drain());
          const k = Math.floor(time.t / 100);
          if (beats.size === 0) {
            expect(reported).toEqual([]);
            return;
          }
          expect(sum(reported, (c) => c.seen)).toBe(beats.size);
          expect(sum(reported, (c) => c.expected)).toBe(k - Math.min(...beats));
          for (const c of reported) expect(c.seen).toBeLessThanOrEqual(c.expected);
        },
      ),
    );
  });

  it("reports what a node's served and unit counts grew by, and forgets nodes the caller does not keep", () => {
    const time = { t: 0 };
    const book = new UptimeBook({ clock: clockAt(time), intervalMs: 100 });
    book.beat('a', 5, 20);
    book.beat('b', 1, 4);
    time.t = 150;
    book.beat('a', 12, 48);
    time.t = 250;
    expect(book.drain((n) => n === 'a')).toEqual([{ node: 'a', seen: 2, expected: 2, served: 7, units: 28 }]);
    expect(book.knows('b')).toBe(false);
    book.beat('a', 2, 8); // restarted: counts from zero again
    time.t = 350;
    const counts = book.drain();
    expect(counts).toEqual([{ node: 'a', seen: 1, expected: 1, served: 2, units: 8 }]);
    // A report that did not reach the pool: restored, the next drain reports it again.
    book.restore(counts);
    book.beat('a', 3, 9);
    time.t = 450;
    expect(book.drain()).toEqual([{ node: 'a', seen: 2, expected: 2, served: 3, units: 9 }]);
  });

  it('ignores new nodes past its bound', () => {
    const book = new UptimeBook({ clock: clockAt({ t: 0 }), intervalMs: 100, maxNodes: 2 });
    for (const n of ['a', 'b', 'c']) book.beat(n);
    expect(['a', 'b', 'c'].map((n) => book.knows(n))).toEqual([true, true, false]);
  });
});
