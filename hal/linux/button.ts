/** The physical button on a GPIO input: raw edges with clock timestamps, inverted for active-low wiring. */
import type { ButtonPin } from '../boards/types.ts';
import type { Clock } from '../clock.ts';
import type { ButtonEvent, ButtonPort } from '../ports.ts';
import type { WarningReporter } from '../warnings.ts';
import type { GpioDriver, GpioInput } from './gpio.ts';

export function createLinuxButton(options: {
  driver: GpioDriver;
  sysfsNumber: number;
  pin: ButtonPin;
  clock: Clock;
  report?: WarningReporter;
}): ButtonPort {
  const { driver, sysfsNumber, pin, clock, report } = options;
  const listeners = new Set<(event: ButtonEvent) => void>();
  let input: GpioInput | null = null;
  let pressed = false;
  // A button that reads pressed at start (held while booting, stuck, or an unpulled pin floating low) counts only
  // after it has been seen released: a stuck button must never reach the 10 s factory reset on its own.
  let armed = false;

  const onLevel = (high: boolean) => {
    const now = high !== pin.activeLow;
    if (now === pressed) return;
    pressed = now;
    if (!armed) {
      if (!now) armed = true;
      return;
    }
    const event: ButtonEvent = { kind: now ? 'press' : 'release', at: clock.now() };
    for (const listener of [...listeners]) listener(event);
  };

  return {
    kind: 'linux',
    async start() {
      if (input) return;
      const line = driver.openInput(sysfsNumber);
      try {
        pressed = line.read() !== pin.activeLow;
        armed = !pressed;
        if (pressed) {
          report?.({
            code: 'BUTTON_PRESSED_AT_START',
            port: 'button',
            level: 'warn',
            message: `button (GPIO ${sysfsNumber}) reads pressed at start: ignored until released (check the pull-up if it never is)`,
          });
        }
        line.watch(onLevel);
      } catch (error) {
        line.close();
        throw error;
      }
      input = line;
    },
    async stop() {
      input?.close();
      input = null;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isPressed: () => pressed && armed,
  };
}
