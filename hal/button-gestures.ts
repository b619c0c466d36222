/**
 * Classifies raw button edges into the gestures of SPEC.md §9, as a pure state machine (no timers: the caller feeds
 * edges and "ticks" at nextDeadline(), see gesture-detector.ts).
 *
 *   bounce      level changes that do not stay put for debounceMs are ignored (contacts chatter for a few ms)
 *   identify    a press released before shortMaxMs (2 s): "blink the LED so I can find this box"
 *   hold-warning the press reached shortMaxMs: the LED tells the user that holding on will reset
 *   hold-cancelled released between shortMaxMs and holdMs: nothing happens (an aborted reset is not an identify)
 *   factory-reset the press reached holdMs (10 s); fired while the button is still held, so the user sees it
 *
 * A press is the interval between two confirmed (debounced) edges; its classification depends only on its length,
 * whether or not ticks were delivered on time — a late tick fires the same gestures, later.
 */
import type { ButtonEvent } from './ports.ts';

export interface GestureThresholds {
  readonly debounceMs: number;
  readonly shortMaxMs: number;
  readonly holdMs: number;
}

export const DEFAULT_THRESHOLDS: GestureThresholds = { debounceMs: 50, shortMaxMs: 2_000, holdMs: 10_000 };

export type Gesture =
  | { readonly kind: 'identify'; readonly at: number; readonly pressedAt: number; readonly durationMs: number }
  | { readonly kind: 'hold-warning'; readonly at: number; readonly pressedAt: number }
  | { readonly kind: 'hold-cancelled'; readonly at: number; readonly pressedAt: number; readonly durationMs: number }
  | { readonly kind: 'factory-reset'; readonly at: number; readonly pressedAt: number };

export interface GestureState {
  /** The level last reported by the button, and since when. */
  readonly raw: boolean;
  readonly rawSince: number;
  /** The confirmed level; pressedAt is the start of the confirmed press (null when released). */
  readonly pressed: boolean;
  readonly pressedAt: number | null;
  readonly warned: boolean;
  readonly reset: boolean;
  /** Latest time seen: edges that arrive with an earlier stamp are taken as happening now. */
  readonly now: number;
}

export type GestureInput = ButtonEvent | { readonly kind: 'tick'; readonly at: number };

export function initialGestureState(at = 0): GestureState {
  return { raw: false, rawSince: at, pressed: false, pressedAt: null, warned: false, reset: false, now: at };
}

export function validateThresholds(t: GestureThresholds): string | null {
  const ok = (n: number) => Number.isFinite(n) && n >= 0;
  if (!ok(t.debounceMs) || !ok(t.shortMaxMs) || !ok(t.holdMs)) return 'thresholds must be finite and non-negative';
  if (!(t.debounceMs < t.shortMaxMs && t.shortMaxMs < t.holdMs)) return 'need debounceMs < shortMaxMs < holdMs';
  return null;
}

/** Confirms a pending level change that has lasted debounceMs; a confirmed release classifies the press. */
function settle(s: GestureState, t: GestureThresholds, out: Gesture[]): GestureState {
  if (s.raw === s.pressed || s.now - s.rawSince < t.debounceMs) return s;
  if (s.raw) return { ...s, pressed: true, pressedAt: s.rawSince, warned: false, reset: false };
  const pressedAt = s.pressedAt ?? s.rawSince;
  const at = s.rawSince;
  const durationMs = at - pressedAt;
  if (durationMs >= t.holdMs) {
    // Normally fired while held; here only when no tick came in time.
    if (!s.warned) out.push({ kind: 'hold-warning', at, pressedAt });
    if (!s.reset) out.push({ kind: 'factory-reset', at, pressedAt });
  } else if (durationMs >= t.shortMaxMs) {
    if (!s.warned) out.push({ kind: 'hold-warning', at, pressedAt });
    out.push({ kind: 'hold-cancelled', at, pressedAt, durationMs });
  } else {
    out.push({ kind: 'identify', at, pressedAt, durationMs });
  }
  return { ...s, pressed: false, pressedAt: null, warned: false, reset: false };
}

/**
 * Fires the hold gestures once they are certain: the press is confirmed and the button is down right now, so
 * whatever happens next the press lasts at least until now.
 */
function checkHold(s: GestureState, t: GestureThresholds, out: Gesture[]): GestureState {
  if (!s.pressed || !s.raw || s.pressedAt === null) return s;
  const held = s.now - s.pressedAt;
  let next = s;
  if (!s.warned && held >= t.shortMaxMs) {
    out.push({ kind: 'hold-warning', at: s.now, pressedAt: s.pressedAt });
    next = { ...next, warned: true };
  }
  if (!s.reset && held >= t.holdMs) {
    out.push({ kind: 'factory-reset', at: s.now, pressedAt: s.pressedAt });
    next = { ...next, reset: true };
  }
  return next;
}

export function stepGesture(
  state: GestureState,
  input: GestureInput,
  thresholds: GestureThresholds = DEFAULT_THRESHOLDS,
): { state: GestureState; gestures: Gesture[] } {
  const out: Gesture[] = [];
  let s: GestureState = { ...state, now: Math.max(state.now, input.at) };
  // First what the old level means up to now, then the new edge.
  s = checkHold(settle(s, thresholds, out), thresholds, out);
  if (input.kind !== 'tick') {
    const level = input.kind === 'press';
    if (level !== s.raw) s = { ...s, raw: level, rawSince: s.now };
    s = checkHold(settle(s, thresholds, out), thresholds, out);
  }
  return { state: s, gestures: out };
}

/** When the next tick must be delivered for gestures to fire on time (null: nothing pending). */
export function nextDeadline(s: GestureState, t: GestureThresholds = DEFAULT_THRESHOLDS): number | null {
  if (s.raw !== s.pressed) return s.rawSince + t.debounceMs;
  if (!s.pressed || s.pressedAt === null) return null;
  if (!s.warned) return s.pressedAt + t.shortMaxMs;
  if (!s.reset) return s.pressedAt + t.holdMs;
  return null;
}
