import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../hal/clock.ts';
import { HalError } from '../../../../hal/errors.ts';
import { IDENTIFY_PATTERN, STATE_PATTERNS } from '../../../../hal/led-catalogue.ts';
import type { LedPattern } from '../../../../hal/led-pattern.ts';
import { createSimLed } from '../../../../hal/sim/led.ts';

describe('sim LED timeline on a manual clock', () => {
  it('a 100/200 blink shows exactly its edges, and read-back follows it', async () => {
    const clock = new ManualClock(1000);
    const led = createSimLed(clock);
    await led.start();
    led.set({ kind: 'blink', onMs: 100, offMs: 200 });
    expect(led.lit()).toBe(true);
    clock.advance(1000);
    expect(led.levels()).toEqual([
      { at: 1000, lit: false }, // level at start, before any pattern
      { at: 1000, lit: true },
      { at: 1100, lit: false },
      { at: 1300, lit: true },
      { at: 1400, lit: false },
      { at: 1600, lit: true },
      { at: 1700, lit: false },
      { at: 1900, lit: true },
      { at: 2000, lit: false },
    ]);
    expect(led.litAt(1350)).toBe(true);
    expect(led.litAt(1450)).toBe(false);
    expect(led.lit()).toBe(false);
    expect(led.pattern()).toEqual({ kind: 'blink', onMs: 100, offMs: 200 });
    await led.stop();
    expect(clock.pending()).toBe(0);
  });

  it('set() restarts the timing from now and replaces the pattern', async () => {
    const clock = new ManualClock();
    const led = createSimLed(clock);
    await led.start();
    led.set(STATE_PATTERNS.connecting); // 250/250
    clock.advance(300); // off since 250
    led.set(STATE_PATTERNS.booting); // solid on
    clock.advance(10_000);
    expect(led.levels().map((e) => [e.at, e.lit])).toEqual([
      [0, false],
      [0, true],
      [250, false],
      [300, true],
    ]);
    expect(led.patternAt(100)).toEqual(STATE_PATTERNS.connecting);
    expect(led.patternAt(5000)).toEqual(STATE_PATTERNS.booting);
    expect(clock.pending()).toBe(0); // a solid pattern needs no timer
  });

  it('flash() shows a finite pattern over the standing one, then returns to it and resolves', async () => {
    const clock = new ManualClock();
    const led = createSimLed(clock);
    await led.start();
    led.set({ kind: 'on' });
    let done = false;
    const flashed = led.flash({ kind: 'blink', onMs: 50, offMs: 50, count: 2 }).then(() => (done = true));
    expect(led.showing()).toMatchObject({ kind: 'blink' });
    clock.advance(199);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await flashed;
    expect(led.showing()).toEqual({ kind: 'on' });
    expect(led.levels().map((e) => [e.at, e.lit])).toEqual([
      [0, false],
      [0, true],
      [50, false],
      [100, true],
      [150, false],
      [200, true], // back to the standing "on"
    ]);
    expect(led.patterns().map((e) => [e.at, e.pattern.kind])).toEqual([
      [0, 'off'],
      [0, 'on'],
      [0, 'blink'],
      [200, 'on'],
    ]);
  });

  it('a newer flash supersedes the running one (which resolves), and stop() ends a flash', async () => {
    const clock = new ManualClock();
    const led = createSimLed(clock);
    await led.start();
    const first = led.flash(IDENTIFY_PATTERN);
    clock.advance(500);
    const second = led.flash({ kind: 'blink', onMs: 100, offMs: 100, count: 100 });
    await first;
    expect(led.showing()).toMatchObject({ count: 100 });
    await led.stop();
    await second;
    expect(led.lit()).toBe(false);
    expect(led.levels().at(-1)).toEqual({ at: 500, lit: false });
  });

  it('refuses an endless pattern as a flash and a bad pattern as a standing one', async () => {
    const led = createSimLed(new ManualClock());
    await led.start();
    expect(() => led.flash({ kind: 'blink', onMs: 100, offMs: 100 })).toThrow(HalError);
    expect(() => led.set({ kind: 'blink', onMs: 1, offMs: 100 } as LedPattern)).toThrow(/at least 10 ms/);
    expect(led.pattern()).toEqual({ kind: 'off' });
  });

  it('keeps the pattern set before start() and starts showing it at start()', async () => {
    const clock = new ManualClock();
    const led = createSimLed(clock);
    led.set(STATE_PATTERNS.error);
    expect(led.levels()).toEqual([]);
    clock.advance(1000);
    await led.start();
    clock.advance(150);
    expect(led.levels().length).toBeGreaterThan(1);
    expect(led.levels()[0]!.at).toBe(1000);
  });
});
