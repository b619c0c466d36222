/**
 * The LED language of SPEC.md §9: one pattern per agent state, plus the button feedback. The device agent picks from
 * here (and may override); the HAL only shows patterns. Chosen to be told apart without a manual: the states a
 * hobbyist waits through blink slowly, trouble blinks fast, and a healthy box only flashes briefly.
 */
import type { LedPattern } from './led-pattern.ts';

export type AgentStateName =
  | 'booting'
  | 'provisioning'
  | 'connecting'
  | 'registering'
  | 'serving'
  | 'promoted'
  | 'degraded'
  | 'error';

export const STATE_PATTERNS: Readonly<Record<AgentStateName, LedPattern>> = {
  booting: { kind: 'on' },
  provisioning: { kind: 'blink', onMs: 1000, offMs: 1000 },
  connecting: { kind: 'blink', onMs: 250, offMs: 250 },
  registering: {
    kind: 'sequence',
    steps: [
      { on: true, ms: 150 },
      { on: false, ms: 150 },
      { on: true, ms: 150 },
      { on: false, ms: 1050 },
    ],
  },
  // A heartbeat: a short flash every 3 s says "alive" without lighting a room.
  serving: { kind: 'sequence', steps: [{ on: true, ms: 100 }, { on: false, ms: 2900 }] },
  promoted: {
    kind: 'sequence',
    steps: [
      { on: true, ms: 100 },
      { on: false, ms: 150 },
      { on: true, ms: 100 },
      { on: false, ms: 2650 },
    ],
  },
  degraded: { kind: 'blink', onMs: 1500, offMs: 500 },
  error: { kind: 'blink', onMs: 100, offMs: 100 },
};

/** Short press: 3 s of rapid blinking, then back to the state pattern. */
export const IDENTIFY_PATTERN: LedPattern = { kind: 'blink', onMs: 50, offMs: 50, count: 30 };
/** Shown while the button is held past the short-press limit: "keep holding to reset". */
export const HOLD_WARNING_PATTERN: LedPattern = { kind: 'blink', onMs: 200, offMs: 200 };
/** Acknowledges a factory reset before the agent wipes and restarts. */
export const RESET_ACK_PATTERN: LedPattern = { kind: 'on' };
