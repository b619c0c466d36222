/** Binds the pure gesture machine to a button and a clock: feeds edges, and ticks at each deadline. */
import type { Clock, ClockTimer } from './clock.ts';
import { HalError } from './errors.ts';
import {
  DEFAULT_THRESHOLDS,
  initialGestureState,
  nextDeadline,
  stepGesture,
  validateThresholds,
  type Gesture,
  type GestureInput,
  type GestureThresholds,
} from './button-gestures.ts';
import type { ButtonPort } from './ports.ts';

export interface GestureDetector {
  start(): void;
  stop(): void;
}

export function createGestureDetector(options: {
  button: ButtonPort;
  clock: Clock;
  onGesture: (gesture: Gesture) => void;
  thresholds?: GestureThresholds;
}): GestureDetector {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const problem = validateThresholds(thresholds);
  if (problem) throw new HalError('BAD_CONFIG', `button thresholds: ${problem}`);
  const { clock, button, onGesture } = options;
  let state = initialGestureState(clock.now());
  let timer: ClockTimer | null = null;
  let unsubscribe: (() => void) | null = null;

  const feed = (input: GestureInput) => {
    const result = stepGesture(state, input, thresholds);
    state = result.state;
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    const deadline = nextDeadline(state, thresholds);
    if (deadline !== null) timer = clock.setTimeout(() => feed({ kind: 'tick', at: clock.now() }), deadline - clock.now());
    for (const gesture of result.gestures) onGesture(gesture);
  };

  return {
    start() {
      if (unsubscribe) return;
      state = initialGestureState(clock.now());
      unsubscribe = button.onEvent(feed);
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
