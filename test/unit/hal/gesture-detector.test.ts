import { describe, expect, it } from 'vitest';
import type { Gesture } from '../../../hal/button-gestures.ts';
import { ManualClock } from '../../../hal/clock.ts';
import { HalError } from '../../../hal/errors.ts';
import { createGestureDetector } from '../../../hal/gesture-detector.ts';
import { HOLD_WARNING_PATTERN, IDENTIFY_PATTERN, RESET_ACK_PATTERN, STATE_PATTERNS } from '../../../hal/led-catalogue.ts';
import { createSimButton } from '../../../hal/sim/button.ts';
import { createSimLed } from '../../../hal/sim/led.ts';

function rig() {
  const clock = new ManualClock();
  const button = createSimButton(clock);
  const gestures: Gesture[] = [];
  const detector = createGestureDetector({ button, clock, onGesture: (g) => gestures.push(g) });
  detector.start();
  return { clock, button, gestures, detector };
}

describe('gesture detector on a sim button and a manual clock', () => {
  it('fires the factory reset at 10 s of holding, with no release needed', () => {
    const { clock, button, gestures } = rig();
    clock.advance(500);
    button.press();
    clock.advance(9_999);
    expect(gestures.map((g) => g.kind)).toEqual(['hold-warning']);
    clock.advance(1);
    expect(gestures.at(-1)).toEqual({ kind: 'factory-reset', at: 10_500, pressedAt: 500 });
    expect(clock.pending()).toBe(0); // nothing more to wait for
  });

  it('a short press is reported once the release has been stable for the debounce time', () => {
    const { clock, button, gestures } = rig();
    button.press();
    clock.advance(200);
    button.release();
    clock.advance(49);
    expect(gestures).toEqual([]);
    clock.advance(1);
    expect(gestures).toEqual([{ kind: 'identify', at: 200, pressedAt: 0, durationMs: 200 }]);
  });

  it('stop() unsubscribes and clears its timer', () => {
    const { clock, button, gestures, detector } = rig();
    button.press();
    detector.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(20_000);
    button.release();
    expect(gestures).toEqual([]);
  });

  it('refuses thresholds out of order with BAD_CONFIG', () => {
    const clock = new ManualClock();
    expect(() =>
      createGestureDetector({ button: createSimButton(clock), clock, onGesture: () => {}, thresholds: { debounceMs: 50, shortMaxMs: 10_000, holdMs: 2_000 } }),
    ).toThrow(HalError);
  });

  it('drives the LED language end to end: identify blinks and returns, a hold shows the warning then the reset', async () => {
    const { clock, button } = rig();
    const led = createSimLed(clock);
    await led.start();
    led.set(STATE_PATTERNS.serving);
    const detector = createGestureDetector({
      button,
      clock,
      onGesture: (g) => {
        if (g.kind === 'identify') void led.flash(IDENTIFY_PATTERN);
        if (g.kind === 'hold-warning') led.set(HOLD_WARNING_PATTERN);
        if (g.kind === 'hold-cancelled') led.set(STATE_PATTERNS.serving);
        if (g.kind === 'factory-reset') led.set(RESET_ACK_PATTERN);
      },
    });
    detector.start();
    button.press();
    clock.advance(100);
    button.release();
    clock.advance(100);
    expect(led.showing()).toEqual(IDENTIFY_PATTERN);
    clock.advance(3000);
    expect(led.showing()).toEqual(STATE_PATTERNS.serving);
    button.press();
    clock.advance(2000);
    expect(led.showing()).toEqual(HOLD_WARNING_PATTERN);
    clock.advance(8000);
    expect(led.showing()).toEqual(RESET_ACK_PATTERN);
    expect(led.patterns().map((p) => p.pattern)).toEqual([
      { kind: 'off' },
      STATE_PATTERNS.serving,
      IDENTIFY_PATTERN,
      STATE_PATTERNS.serving,
      HOLD_WARNING_PATTERN,
      RESET_ACK_PATTERN,
    ]);
  });
});
