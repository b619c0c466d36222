/**
 * GPIO lines as the LED and button adapters use them, over two drivers (gpio-onoff.ts, gpio-sysfs.ts), and the
 * numbering of a board's pins in the sysfs interface.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HalError } from '../errors.ts';
import { underRoot } from '../paths.ts';

export interface GpioOutput {
  write(high: boolean): void;
  close(): void;
}

export interface GpioInput {
  read(): boolean;
  /** Calls back with the new level on each change. Only one watcher per line. */
  watch(onChange: (high: boolean) => void): void;
  close(): void;
}

export interface GpioDriver {
  /** 'onoff' (kernel interrupts through epoll) or 'sysfs-poll' (reads the value file on a timer). */
  readonly name: 'onoff' | 'sysfs-poll';
  /** `sysfsNumber` is the line's number in /sys/class/gpio (see resolveSysfsNumber). Throws HalError GPIO_IO. */
  openOutput(sysfsNumber: number): GpioOutput;
  openInput(sysfsNumber: number): GpioInput;
}

export const GPIO_SYSFS = '/sys/class/gpio';

interface ChipInfo {
  readonly label: string;
  readonly base: number;
  readonly ngpio: number;
}

function readChips(root: string): ChipInfo[] {
  const dir = underRoot(root, GPIO_SYSFS);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('gpiochip'));
  } catch {
    return [];
  }
  const chips: ChipInfo[] = [];
  for (const name of names) {
    try {
      const read = (file: string) => readFileSync(path.join(dir, name, file), 'utf8').trim();
      const base = Number(read('base'));
      const ngpio = Number(read('ngpio'));
      if (Number.isInteger(base) && Number.isInteger(ngpio)) chips.push({ label: read('label'), base, ngpio });
    } catch {
      // A chip whose files cannot be read is not one we can number pins on.
    }
  }
  return chips;
}

/**
 * The sysfs number of `line` on the chip labelled `chipLabel`: base + line. With no label (generic board) the line
 * number is taken as the sysfs number. Throws HalError GPIO_CHIP_NOT_FOUND rather than guess: driving the wrong
 * pin could short whatever is wired there.
 */
export function resolveSysfsNumber(root: string, chipLabel: string | null, line: number): number {
  if (chipLabel === null) return line;
  const chip = readChips(root).find((c) => c.label === chipLabel);
  if (!chip) {
    throw new HalError('GPIO_CHIP_NOT_FOUND', `no gpiochip labelled ${chipLabel} under ${underRoot(root, GPIO_SYSFS)}`);
  }
  if (line < 0 || line >= chip.ngpio) {
    throw new HalError('GPIO_CHIP_NOT_FOUND', `line ${line} is outside ${chipLabel} (${chip.ngpio} lines)`);
  }
  return chip.base + line;
}

/** Whether the sysfs GPIO interface exists under the root (it is what onoff and the poll driver need). */
export function gpioSysfsPresent(root: string): boolean {
  try {
    readdirSync(underRoot(root, GPIO_SYSFS));
    return true;
  } catch {
    return false;
  }
}
