/**
 * What the status LED shows: the pattern of the agent's state (hal's STATE_PATTERNS, overridable), the identify
 * flash over it, and the button's hold feedback. The hold feedback overrides the state pattern while the button
 * is held — a state change meanwhile is remembered and shown once the override is lifted, so the user holding the
 * button never sees the warning vanish half-way.
 */
import {
  HOLD_WARNING_PATTERN,
  IDENTIFY_PATTERN,
  RESET_ACK_PATTERN,
  STATE_PATTERNS,
  validatePattern,
  type AgentStateName,
  type LedPattern,
  type LedPort,
} from '../hal/index.ts';

export interface LedDriver {
  /** The state's pattern becomes the standing one (shown at once unless a hold override is up). */
  show(state: AgentStateName): void;
  /** Blinks IDENTIFY_PATTERN over what shows, then back to it; resolves when done. */
  identify(): Promise<void>;
  /** The button is held past the short-press limit: "keep holding to reset". */
  holdWarning(): void;
  /** The reset is acknowledged; stays until the next state is shown after the override is lifted. */
  resetAck(): void;
  /** Lifts the hold override: back to the current state's pattern. */
  release(): void;
  /** The pattern for a state (after overrides). */
  patternFor(state: AgentStateName): LedPattern;
}

export function createLedDriver(options: { led: LedPort; patterns?: Partial<Record<AgentStateName, LedPattern>> }): LedDriver {
  const { led } = options;
  const patterns: Record<AgentStateName, LedPattern> = { ...STATE_PATTERNS, ...options.patterns };
  for (const pattern of Object.values(patterns)) validatePattern(pattern);
  let state: AgentStateName | null = null;
  let override: LedPattern | null = null;

  const render = () => {
    const pattern = override ?? (state === null ? null : patterns[state]);
    // set() restarts a pattern's timing; setting the one already standing would cut a blink short.
    if (pattern !== null && led.pattern() !== pattern) led.set(pattern);
  };

  return {
    show(next) {
      state = next;
      render();
    },
    identify: () => led.flash(IDENTIFY_PATTERN),
    holdWarning() {
      override = HOLD_WARNING_PATTERN;
      render();
    },
    resetAck() {
      override = RESET_ACK_PATTERN;
      render();
    },
    release() {
      override = null;
      render();
    },
    patternFor: (name) => patterns[name],
  };
}
