/**
 * LED patterns as data, and the pure function that says what a pattern shows at a given moment. The controller
 * (led-controller.ts) only asks "what level now, and when does it next change", so late timers never drift the
 * pattern: each wake-up recomputes the phase from the pattern's start time.
 */
import { HalError } from './errors.ts';

export interface LedStep {
  readonly on: boolean;
  readonly ms: number;
}

export type LedPattern =
  | { readonly kind: 'off' }
  | { readonly kind: 'on' }
  /** `count` blinks then off; without it, forever. */
  | { readonly kind: 'blink'; readonly onMs: number; readonly offMs: number; readonly count?: number }
  /** The steps in order; `repeat` times then off; without it, forever. */
  | { readonly kind: 'sequence'; readonly steps: readonly LedStep[]; readonly repeat?: number };

/**
 * Shortest step: timers on a loaded Pi are not reliable below ~10 ms, and the eye cannot see shorter flashes
 * anyway; a shorter step would only burn CPU.
 */
export const MIN_STEP_MS = 10;
export const MAX_STEPS = 64;

export const OFF: LedPattern = { kind: 'off' };
export const ON: LedPattern = { kind: 'on' };

function checkMs(ms: number, what: string): void {
  if (!Number.isInteger(ms) || ms < MIN_STEP_MS) {
    throw new HalError('BAD_PATTERN', `${what} must be an integer of at least ${MIN_STEP_MS} ms, got ${ms}`);
  }
}

function checkCount(count: number | undefined, what: string): void {
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new HalError('BAD_PATTERN', `${what} must be a positive integer, got ${count}`);
  }
}

/** Throws HalError BAD_PATTERN unless the pattern can be shown. */
export function validatePattern(pattern: LedPattern): void {
  switch (pattern.kind) {
    case 'off':
    case 'on':
      return;
    case 'blink':
      checkMs(pattern.onMs, 'blink onMs');
      checkMs(pattern.offMs, 'blink offMs');
      checkCount(pattern.count, 'blink count');
      return;
    case 'sequence':
      if (pattern.steps.length === 0 || pattern.steps.length > MAX_STEPS) {
        throw new HalError('BAD_PATTERN', `a sequence needs 1 to ${MAX_STEPS} steps, got ${pattern.steps.length}`);
      }
      pattern.steps.forEach((step, i) => checkMs(step.ms, `sequence step ${i}`));
      checkCount(pattern.repeat, 'sequence repeat');
      return;
    default:
      throw new HalError('BAD_PATTERN', `unknown LED pattern kind ${(pattern as { kind: unknown }).kind}`);
  }
}

/** Whether the pattern ends by itself (and can therefore be flashed over the standing one). */
export function isFinitePattern(pattern: LedPattern): boolean {
  return (pattern.kind === 'blink' && pattern.count !== undefined) || (pattern.kind === 'sequence' && pattern.repeat !== undefined);
}

function stepsOf(pattern: LedPattern & { kind: 'blink' | 'sequence' }): { steps: readonly LedStep[]; repeat?: number } {
  if (pattern.kind === 'sequence') return pattern.repeat === undefined ? { steps: pattern.steps } : pattern;
  const steps = [
    { on: true, ms: pattern.onMs },
    { on: false, ms: pattern.offMs },
  ];
  return pattern.count === undefined ? { steps } : { steps, repeat: pattern.count };
}

export interface LedPhase {
  readonly lit: boolean;
  /** Milliseconds until the next step boundary, or null when the level never changes again. */
  readonly nextInMs: number | null;
  /** A finite pattern that has run out (it shows off from then on). */
  readonly finished: boolean;
}

/** What `pattern` shows `elapsedMs` after it started. Assumes a validated pattern. */
export function phaseAt(pattern: LedPattern, elapsedMs: number): LedPhase {
  if (pattern.kind === 'off') return { lit: false, nextInMs: null, finished: false };
  if (pattern.kind === 'on') return { lit: true, nextInMs: null, finished: false };
  const { steps, repeat } = stepsOf(pattern);
  const cycle = steps.reduce((sum, s) => sum + s.ms, 0);
  const elapsed = Math.max(0, elapsedMs);
  if (repeat !== undefined && elapsed >= cycle * repeat) return { lit: false, nextInMs: null, finished: true };
  let position = elapsed % cycle;
  for (const step of steps) {
    if (position < step.ms) return { lit: step.on, nextInMs: step.ms - position, finished: false };
    position -= step.ms;
  }
  // Unreachable: position < cycle; kept total for floating-point edge cases.
  return { lit: false, nextInMs: cycle - position, finished: false };
}

/** Total duration of a finite pattern in ms (null for endless ones). */
export function durationOf(pattern: LedPattern): number | null {
  if (!isFinitePattern(pattern)) return null;
  const { steps, repeat } = stepsOf(pattern as LedPattern & { kind: 'blink' | 'sequence' });
  return steps.reduce((sum, s) => sum + s.ms, 0) * (repeat ?? 1);
}
