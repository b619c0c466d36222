/**
 * A GPIO driver that works the sysfs files directly under any root. onoff hard-codes /sys/class/gpio, so this is
 * what runs against a fake tree (tests) and where onoff's native epoll addon failed to load. Inputs are polled,
 * because interrupts need epoll on the real value file (epoll refuses regular files).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock, ClockTimer } from '../clock.ts';
import { HalError, describeError } from '../errors.ts';
import { underRoot } from '../paths.ts';
import { GPIO_SYSFS, type GpioDriver, type GpioInput, type GpioOutput } from './gpio.ts';

/** Fast enough that a 50 ms debounce sees every real press; ~100 tiny reads a second on a Pi is negligible. */
export const DEFAULT_POLL_MS = 10;

function ioError(what: string, error: unknown): HalError {
  return new HalError('GPIO_IO', `${what}: ${describeError(error)}`, { cause: error });
}

export function createSysfsGpioDriver(options: { root: string; clock: Clock; pollMs?: number }): GpioDriver {
  const { root, clock } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const base = underRoot(root, GPIO_SYSFS);

  /** Exports the line (unless something already did) and sets its direction. Returns its value file. */
  const prepare = (n: number, direction: 'in' | 'low'): { value: string; exported: boolean } => {
    const dir = path.join(base, `gpio${n}`);
    let exported = false;
    try {
      if (!existsSync(dir)) {
        writeFileSync(path.join(base, 'export'), String(n));
        exported = true;
      }
      if (!existsSync(dir)) throw new Error(`${dir} did not appear after export`);
      // 'low' sets output and drives low in one write, so the LED never flashes on at open.
      writeFileSync(path.join(dir, 'direction'), direction);
    } catch (error) {
      throw ioError(`preparing GPIO ${n}`, error);
    }
    return { value: path.join(dir, 'value'), exported };
  };

  const release = (n: number, exported: boolean) => {
    // Only unexport what we exported: a line set up by someone else (udev rule, gpio utility) stays as it was.
    if (!exported) return;
    try {
      writeFileSync(path.join(base, 'unexport'), String(n));
    } catch {
      // Already gone; nothing to release.
    }
  };

  const readLevel = (file: string, n: number): boolean => {
    try {
      return readFileSync(file, 'utf8').trimStart().startsWith('1');
    } catch (error) {
      throw ioError(`reading GPIO ${n}`, error);
    }
  };

  return {
    name: 'sysfs-poll',
    openOutput(n): GpioOutput {
      const { value, exported } = prepare(n, 'low');
      return {
        write(high) {
          try {
            writeFileSync(value, high ? '1' : '0');
          } catch (error) {
            throw ioError(`writing GPIO ${n}`, error);
          }
        },
        close: () => release(n, exported),
      };
    },
    openInput(n): GpioInput {
      const { value, exported } = prepare(n, 'in');
      let timer: ClockTimer | null = null;
      return {
        read: () => readLevel(value, n),
        watch(onChange) {
          let last = readLevel(value, n);
          const poll = () => {
            timer = clock.setTimeout(poll, pollMs);
            let now: boolean;
            try {
              now = readLevel(value, n);
            } catch {
              return; // a failed read is retried on the next poll
            }
            if (now !== last) {
              last = now;
              onChange(now);
            }
          };
          timer = clock.setTimeout(poll, pollMs);
        },
        close() {
          if (timer !== null) clock.clearTimeout(timer);
          timer = null;
          release(n, exported);
        },
      };
    },
  };
}
