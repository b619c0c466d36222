/**
 * LED sinks for real hardware: a header pin through a GPIO driver, or a kernel LED under /sys/class/leds (the Pi's
 * ACT LED). Several targets form one sink, so the pattern shows on all of them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GpioLedTarget, SysfsLedTarget } from '../boards/types.ts';
import { HalError, describeError } from '../errors.ts';
import type { LedSink } from '../led-controller.ts';
import { underRoot } from '../paths.ts';
import type { WarningReporter } from '../warnings.ts';
import type { GpioDriver, GpioOutput } from './gpio.ts';

export const LEDS_SYSFS = '/sys/class/leds';

export function gpioLedSink(driver: GpioDriver, sysfsNumber: number, target: GpioLedTarget): LedSink {
  let line: GpioOutput | null = null;
  return {
    async open() {
      line = driver.openOutput(sysfsNumber);
    },
    write(lit) {
      line?.write(lit !== target.activeLow);
    },
    async close() {
      line?.close();
      line = null;
    },
  };
}

/** The directory of the first of `names` present under the root, or null. */
export function findSysfsLed(root: string, target: SysfsLedTarget): string | null {
  for (const name of target.names) {
    const dir = path.join(underRoot(root, LEDS_SYSFS), name);
    if (existsSync(path.join(dir, 'brightness'))) return dir;
  }
  return null;
}

/** The selected trigger: the file lists all of them with the active one in brackets, "none [mmc0] timer". */
export function activeTrigger(triggerFile: string): string | null {
  const match = /\[([^\]]+)\]/.exec(triggerFile);
  return match ? match[1]! : null;
}

/**
 * Takes the LED from its kernel trigger (SD-card activity on a Pi) by selecting trigger "none", and gives it back
 * on close, so stopping the agent leaves the LED as the OS had it.
 */
export function sysfsLedSink(dir: string): LedSink {
  let previousTrigger: string | null = null;
  let on = '1';
  const write = (file: string, value: string) => {
    try {
      writeFileSync(path.join(dir, file), value);
    } catch (error) {
      throw new HalError('LED_IO', `writing ${path.join(dir, file)}: ${describeError(error)}`, { cause: error });
    }
  };
  return {
    async open() {
      try {
        previousTrigger = activeTrigger(readFileSync(path.join(dir, 'trigger'), 'utf8'));
      } catch {
        previousTrigger = null; // no trigger file: a plain LED
      }
      try {
        const max = readFileSync(path.join(dir, 'max_brightness'), 'utf8').trim();
        if (/^[1-9]\d*$/.test(max)) on = max;
      } catch {
        on = '1';
      }
      if (previousTrigger !== null && previousTrigger !== 'none') write('trigger', 'none');
    },
    write(lit) {
      write('brightness', lit ? on : '0');
    },
    async close() {
      if (previousTrigger !== null && previousTrigger !== 'none') write('trigger', previousTrigger);
      previousTrigger = null;
    },
  };
}

/**
 * Drives several targets as one. A target that fails to open is dropped with a warning and the others are driven;
 * only when none opens does open() throw. A write failure on one target does not stop the others.
 */
export function combinedSink(targets: readonly { label: string; sink: LedSink }[], report?: WarningReporter): LedSink {
  let open: LedSink[] = [];
  return {
    async open() {
      let firstFailure: unknown = null;
      for (const { label, sink } of targets) {
        try {
          await sink.open();
          open.push(sink);
        } catch (error) {
          firstFailure ??= error;
          report?.({ code: 'LED_TARGET_SKIPPED', port: 'led', level: 'warn', message: `LED ${label} could not be opened`, cause: describeError(error) });
        }
      }
      if (open.length === 0 && firstFailure !== null) throw firstFailure;
    },
    async close() {
      const closing = open;
      open = [];
      for (const sink of closing) {
        try {
          await sink.close();
        } catch {
          // Closing is best effort: the process is usually about to exit.
        }
      }
    },
    write(lit) {
      let failure: unknown = null;
      for (const sink of open) {
        try {
          sink.write(lit);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== null) throw failure;
    },
  };
}
