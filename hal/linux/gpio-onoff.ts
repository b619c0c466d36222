/**
 * The GPIO driver on a real root: onoff (sysfs GPIO with edge interrupts through its epoll addon). onoff hard-codes
 * /sys/class/gpio and needs a compiled native addon, so it is loaded lazily and only for root '/'; a failed load
 * falls back to the sysfs poll driver with a warning (create.ts).
 */
import { HalError, describeError } from '../errors.ts';
import type { GpioDriver } from './gpio.ts';

/** The part of onoff's Gpio class we use (onoff.d.ts). */
export interface OnoffGpio {
  readSync(): 0 | 1;
  writeSync(value: 0 | 1): void;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unexport(): void;
}

export type OnoffGpioClass = new (gpio: number, direction: 'in' | 'out' | 'high' | 'low', edge?: 'none' | 'both') => OnoffGpio;

/** Loads onoff; throws HalError GPIO_UNAVAILABLE when it (or epoll) cannot be loaded. */
export async function loadOnoff(): Promise<OnoffGpioClass> {
  try {
    const mod = (await import('onoff')) as unknown as { Gpio?: OnoffGpioClass; default?: { Gpio?: OnoffGpioClass } };
    const Gpio = mod.Gpio ?? mod.default?.Gpio;
    if (!Gpio) throw new Error('onoff exports no Gpio class');
    return Gpio;
  } catch (error) {
    throw new HalError('GPIO_UNAVAILABLE', `onoff could not be loaded: ${describeError(error)}`, { cause: error });
  }
}

function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new HalError('GPIO_IO', `${what}: ${describeError(error)}`, { cause: error });
  }
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // onoff's unexport throws when a watch was never registered with epoll; the line is released regardless.
  }
}

export function createOnoffGpioDriver(Gpio: OnoffGpioClass): GpioDriver {
  return {
    name: 'onoff',
    openOutput(n) {
      const gpio = guarded(`opening GPIO ${n}`, () => new Gpio(n, 'low'));
      return {
        write: (high) => guarded(`writing GPIO ${n}`, () => gpio.writeSync(high ? 1 : 0)),
        close: () => quietly(() => gpio.unexport()),
      };
    },
    openInput(n) {
      // Debouncing is left to button-gestures.ts: onoff's own debounce loses the edge's timestamp.
      const gpio = guarded(`opening GPIO ${n}`, () => new Gpio(n, 'in', 'both'));
      return {
        read: () => guarded(`reading GPIO ${n}`, () => gpio.readSync() === 1),
        watch(onChange) {
          guarded(`watching GPIO ${n}`, () =>
            gpio.watch((err, value) => {
              if (!err) onChange(value === 1);
            }),
          );
        },
        close: () => quietly(() => gpio.unexport()),
      };
    },
  };
}
