/** What a board offers and where: the pin map create.ts starts from (config may override each part). */

export type BoardId = 'rpi4' | 'rpi5' | 'generic';

/** An LED on a header pin (numbered as the board's GPIO chip numbers its lines: BCM numbers on a Pi). */
export interface GpioLedTarget {
  readonly kind: 'gpio';
  readonly line: number;
  /** Lit when the pin is low (LED wired from 3.3 V to the pin). */
  readonly activeLow: boolean;
}

/** An LED the kernel already drives, under /sys/class/leds/<name> (the Pi's green ACT LED); first name found wins. */
export interface SysfsLedTarget {
  readonly kind: 'sysfs-led';
  readonly names: readonly string[];
}

export type LedTarget = GpioLedTarget | SysfsLedTarget;

export interface ButtonPin {
  readonly line: number;
  /** Pressed when the pin is low: a button to ground with a pull-up, the usual wiring. */
  readonly activeLow: boolean;
}

export interface BoardDefinition {
  readonly id: BoardId;
  readonly name: string;
  /** Matches the device-tree model string (/sys/firmware/devicetree/base/model). */
  readonly modelPattern: RegExp | null;
  /**
   * Label of the gpiochip whose lines are the header pins. Since Linux 6.6 the sysfs numbers of a Pi's pins start
   * at the chip's base (512 on a Pi 4, 571 on a Pi 5), not at 0, so pins are resolved through the label. Null: line
   * numbers are used as sysfs numbers as they are.
   */
  readonly gpioChipLabel: string | null;
  /** Driven together with one pattern; targets that are not there are skipped with a warning. */
  readonly statusLeds: readonly LedTarget[];
  readonly button: ButtonPin | null;
  /** Candidate console UARTs, in order; the first that exists under the root is used. */
  readonly uartPaths: readonly string[];
  readonly watchdogPath: string;
}
