/**
 * The simulated LED: the same controller as the hardware one, over a sink that records every level change and every
 * pattern change on the injected clock, so a test can ask what the box showed at any moment.
 */
import type { Clock } from '../clock.ts';
import { createLedController } from '../led-controller.ts';
import { OFF, type LedPattern } from '../led-pattern.ts';
import type { LedPort } from '../ports.ts';

export interface LedLevelEntry {
  readonly at: number;
  readonly lit: boolean;
}

export interface LedPatternEntry {
  readonly at: number;
  readonly pattern: LedPattern;
}

export interface SimLed extends LedPort {
  /** Level changes, in time order (the first entry is the level at start). */
  levels(): readonly LedLevelEntry[];
  /** Patterns put on show (standing patterns, flashes, and the return from a flash), in time order. */
  patterns(): readonly LedPatternEntry[];
  /** Whether the LED was lit at time `t` (the last change at or before t). */
  litAt(t: number): boolean;
  /** The pattern on show at time `t`. */
  patternAt(t: number): LedPattern;
}

function lastAtOrBefore<T extends { at: number }>(entries: readonly T[], t: number): T | undefined {
  let found: T | undefined;
  for (const e of entries) {
    if (e.at > t) break;
    found = e;
  }
  return found;
}

export function createSimLed(clock: Clock): SimLed {
  const levels: LedLevelEntry[] = [];
  const patterns: LedPatternEntry[] = [];
  const controller = createLedController(
    'sim',
    {
      open: async () => {},
      close: async () => {},
      write: (lit) => {
        levels.push({ at: clock.now(), lit });
      },
      showing: (pattern, at) => {
        patterns.push({ at, pattern });
      },
    },
    clock,
  );
  return {
    ...controller,
    levels: () => [...levels],
    patterns: () => [...patterns],
    litAt: (t) => lastAtOrBefore(levels, t)?.lit ?? false,
    patternAt: (t) => lastAtOrBefore(patterns, t)?.pattern ?? OFF,
  };
}
