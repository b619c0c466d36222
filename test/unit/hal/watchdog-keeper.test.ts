import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../hal/clock.ts';
import { HalError } from '../../../hal/errors.ts';
import type { WatchdogPort } from '../../../hal/ports.ts';
import { createSimWatchdog } from '../../../hal/sim/watchdog.ts';
import { createWatchdogKeeper, kickIntervalFor, FALLBACK_KICK_INTERVAL_MS } from '../../../hal/watchdog-keeper.ts';
import type { HalWarning } from '../../../hal/warnings.ts';

/** Lets the keeper's async kicks settle between clock steps. */
async function advance(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await Promise.resolve();
    await Promise.resolve();
  }
}

describe('sim watchdog', () => {
  it('records kicks and reports a starvation when the timeout passes without one', async () => {
    const clock = new ManualClock();
    const wd = createSimWatchdog({ clock, timeoutMs: 1000 });
    const starved: number[] = [];
    wd.onStarve((s) => starved.push(s.at));
    await wd.start();
    clock.advance(900);
    await wd.kick();
    clock.advance(999);
    expect(wd.starvations()).toEqual([]);
    clock.advance(1);
    expect(wd.starvations()).toEqual([{ at: 1900, lastKickAt: 900 }]);
    expect(starved).toEqual([1900]);
    expect(wd.kicks()).toEqual([900]);
  });

  it('a magic close disarms it: no starvation after stop()', async () => {
    const clock = new ManualClock();
    const wd = createSimWatchdog({ clock, timeoutMs: 1000 });
    await wd.start();
    await wd.stop();
    clock.advance(10_000);
    expect(wd.starvations()).toEqual([]);
    expect(wd.closedCleanly()).toBe(true);
    expect(wd.armed()).toBe(false);
    await expect(wd.kick()).rejects.toBeInstanceOf(HalError);
  });
});

describe('watchdog keeper', () => {
  it('kicks every third of the timeout while healthy, so the watchdog never starves', async () => {
    const clock = new ManualClock();
    const wd = createSimWatchdog({ clock, timeoutMs: 3000 });
    const keeper = createWatchdogKeeper({ watchdog: wd, clock });
    expect(keeper.intervalMs).toBe(1000);
    await keeper.start();
    await advance(clock, 10_000);
    expect(wd.kicks()).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(wd.starvations()).toEqual([]);
    await keeper.stop();
    expect(wd.closedCleanly()).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('stops kicking when unhealthy, warns once, and the watchdog reports the starvation; recovers after', async () => {
    const clock = new ManualClock();
    const wd = createSimWatchdog({ clock, timeoutMs: 3000 });
    const warnings: HalWarning[] = [];
    let healthy = true;
    const keeper = createWatchdogKeeper({ watchdog: wd, clock, healthy: () => healthy, report: (w) => warnings.push(w) });
    await keeper.start();
    await advance(clock, 2000);
    healthy = false;
    await advance(clock, 6000);
    expect(wd.starvations()).toEqual([{ at: 5000, lastKickAt: 2000 }]);
    expect(warnings.map((w) => w.code)).toEqual(['WATCHDOG_WITHHELD']);
    healthy = true;
    await advance(clock, 1000);
    expect(wd.kicks().at(-1)).toBe(9000);
    await keeper.stop();
  });

  it('a failing kick is a WATCHDOG_FAULT warning, not a crash, and kicking goes on', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const flaky: WatchdogPort = {
      kind: 'dev',
      timeoutMs: 3000,
      start: async () => {},
      stop: async () => {},
      kick: async () => {
        calls += 1;
        if (calls === 2) throw new HalError('WATCHDOG_IO', 'EIO');
      },
    };
    const warnings: HalWarning[] = [];
    const keeper = createWatchdogKeeper({ watchdog: flaky, clock, report: (w) => warnings.push(w) });
    await keeper.start();
    await advance(clock, 3000);
    expect(calls).toBe(4);
    expect(warnings).toMatchObject([{ code: 'WATCHDOG_FAULT', cause: 'WATCHDOG_IO: EIO' }]);
    await keeper.stop();
  });

  it('interval: a third of the timeout, 5 s when unknown, and a non-positive interval is BAD_CONFIG', () => {
    expect(kickIntervalFor(15_000)).toBe(5000);
    expect(kickIntervalFor(null)).toBe(FALLBACK_KICK_INTERVAL_MS);
    const clock = new ManualClock();
    expect(() => createWatchdogKeeper({ watchdog: createSimWatchdog({ clock }), clock, intervalMs: 0 })).toThrow(HalError);
  });
});
