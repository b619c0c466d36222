/**
 * Plays LED patterns on a sink (GPIO lines, /sys/class/leds, a recorder or nothing). Shared by every LED adapter so
 * that the simulator's timeline is exactly what the hardware would have shown.
 */
import type { Clock, ClockTimer } from './clock.ts';
import { HalError, describeError } from './errors.ts';
import { OFF, isFinitePattern, phaseAt, validatePattern, type LedPattern } from './led-pattern.ts';
import type { AdapterKind, LedPort } from './ports.ts';
import type { WarningReporter } from './warnings.ts';

/** Where levels go. write() is synchronous: the sysfs writes are tiny and the timer callback must not interleave. */
export interface LedSink {
  open(): Promise<void>;
  write(lit: boolean): void;
  close(): Promise<void>;
  /** Told whenever the pattern on show changes (the simulator records it). */
  showing?(pattern: LedPattern, at: number): void;
}

interface Playing {
  readonly pattern: LedPattern;
  readonly startedAt: number;
}

interface Flash extends Playing {
  readonly done: () => void;
}

export function createLedController(kind: AdapterKind, sink: LedSink, clock: Clock, report?: WarningReporter): LedPort {
  let base: Playing = { pattern: OFF, startedAt: clock.now() };
  let flash: Flash | null = null;
  let timer: ClockTimer | null = null;
  let lit = false;
  // The level last handed to the sink: the sink is written only on a change (sysfs writes and timeline entries).
  let written: boolean | null = null;
  let open = false;
  // One warning per fault streak: a broken LED wire must not flood the log every 50 ms.
  let faulted = false;

  const write = (level: boolean) => {
    if (!open || written === level) return;
    try {
      sink.write(level);
      written = level;
      faulted = false;
    } catch (error) {
      if (!faulted) {
        faulted = true;
        report?.({ code: 'LED_FAULT', port: 'led', level: 'warn', message: 'writing the status LED failed', cause: describeError(error) });
      }
    }
  };

  const render = () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    const now = clock.now();
    const active: Playing = flash ?? base;
    let phase = phaseAt(active.pattern, now - active.startedAt);
    if (flash && phase.finished) {
      const ended = flash;
      flash = null;
      phase = phaseAt(base.pattern, now - base.startedAt);
      sink.showing?.(base.pattern, now);
      ended.done();
    }
    lit = phase.lit;
    write(lit);
    if (phase.nextInMs !== null && open) timer = clock.setTimeout(render, phase.nextInMs);
  };

  const endFlash = () => {
    const ended = flash;
    flash = null;
    ended?.done();
  };

  return {
    kind,
    async start() {
      if (open) return;
      await sink.open();
      open = true;
      sink.showing?.((flash ?? base).pattern, clock.now());
      render();
    },
    async stop() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      endFlash();
      if (!open) return;
      write(false);
      lit = false;
      open = false;
      written = null;
      await sink.close();
    },
    set(pattern) {
      validatePattern(pattern);
      base = { pattern, startedAt: clock.now() };
      if (!flash) sink.showing?.(pattern, clock.now());
      render();
    },
    flash(pattern) {
      validatePattern(pattern);
      if (!isFinitePattern(pattern)) {
        throw new HalError('BAD_PATTERN', 'only a finite pattern (blink with count, sequence with repeat) can be flashed');
      }
      endFlash();
      return new Promise<void>((resolve) => {
        flash = { pattern, startedAt: clock.now(), done: resolve };
        sink.showing?.(pattern, clock.now());
        if (open) render();
        else endFlash(); // nothing to show it on: a flash before start() ends at once rather than hanging
      });
    },
    pattern: () => base.pattern,
    showing: () => (flash ?? base).pattern,
    lit: () => lit,
  };
}
