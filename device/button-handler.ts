/**
 * The button (SPEC.md §9), through hal's gesture detector: a short press blinks the LED to identify the box; held
 * past the short-press limit the LED warns that holding on resets; released before 10 s nothing happens; held for
 * 10 s the LED acknowledges and the agent runs a factory reset that keeps the wallet.
 */
import type { Logger } from 'pino';
import { createGestureDetector, type ButtonPort, type Clock, type Gesture, type GestureThresholds } from '../hal/index.ts';
import type { LedDriver } from './led-driver.ts';

export interface ButtonHandler {
  start(): void;
  stop(): void;
}

export function createButtonHandler(options: {
  button: ButtonPort;
  clock: Clock;
  led: LedDriver;
  /** Called once the hold reached the reset threshold (the LED already shows the acknowledgement). */
  onFactoryReset: () => void;
  thresholds?: GestureThresholds;
  logger?: Logger;
}): ButtonHandler {
  const { led, logger } = options;
  const onGesture = (gesture: Gesture) => {
    switch (gesture.kind) {
      case 'identify':
        logger?.info({ durationMs: gesture.durationMs }, 'button: identify');
        void led.identify();
        return;
      case 'hold-warning':
        logger?.info({}, 'button: held, keep holding for a factory reset');
        led.holdWarning();
        return;
      case 'hold-cancelled':
        logger?.info({ durationMs: gesture.durationMs }, 'button: released before the reset, nothing done');
        led.release();
        return;
      case 'factory-reset':
        logger?.warn({}, 'button: held for a factory reset');
        led.resetAck();
        options.onFactoryReset();
        return;
    }
  };
  const detector = createGestureDetector({
    button: options.button,
    clock: options.clock,
    onGesture,
    ...(options.thresholds ? { thresholds: options.thresholds } : {}),
  });
  return { start: () => detector.start(), stop: () => detector.stop() };
}
