/** A duty's timer on the simulator's clock: rounds every interval, never overlapping, surviving a failed round. */
import { describe, expect, it } from 'vitest';
import { DutyTimer } from '../../../../node/manager/duty-timer.ts';
import { SimClock } from '../../../../node/net/sim/clock.ts';

describe('DutyTimer', () => {
  it('runs a round every interval after the last one ended, goes on after a failure, and stops', async () => {
    const clock = new SimClock();
    const starts: number[] = [];
    let running = 0;
    let overlap = false;
    const timer = new DutyTimer(clock, 100, async () => {
      overlap ||= running > 0;
      running += 1;
      starts.push(clock.now());
      // A round that takes 250 ms of clock time, and one that fails.
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 250));
      running -= 1;
      if (starts.length === 2) throw new Error('a failed round');
    });
    timer.start();
    timer.start(); // once only
    await clock.advance(1_100);
    expect(starts).toEqual([100, 450, 800]);
    expect(overlap).toBe(false);
    timer.stop();
    await clock.advance(1_000);
    expect(starts).toHaveLength(3);
  });
});
