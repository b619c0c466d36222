/** The HAL's options, their validation (an invalid value is refused naming the field), and the resolved pin map. */
import type { BoardDefinition, BoardId, ButtonPin, LedTarget } from './boards/types.ts';
import type { Clock } from './clock.ts';
import { HalError } from './errors.ts';
import type { GestureThresholds } from './button-gestures.ts';
import type { SystemInfo } from './ports.ts';
import type { HalLogger } from './warnings.ts';

export type PortChoice = 'auto' | 'linux' | 'sim' | 'none';
export type WatchdogChoice = 'auto' | 'dev' | 'systemd' | 'sim' | 'none';

export interface PinOverrides {
  /** Replaces the board's LED targets ([] for no LED). */
  readonly statusLeds?: readonly LedTarget[];
  /** Replaces the board's button (null for none). */
  readonly button?: ButtonPin | null;
  /** Replaces the board's UART candidates with one path (null for no console). */
  readonly uart?: string | null;
  /** Replaces the label of the GPIO chip pins are numbered on (null: line numbers are sysfs numbers). */
  readonly gpioChipLabel?: string | null;
}

export interface HalOptions {
  /** Where /proc, /sys and /dev are found. Default '/'. */
  readonly root?: string;
  readonly board?: 'auto' | BoardId;
  readonly led?: PortChoice;
  readonly button?: PortChoice;
  readonly console?: PortChoice;
  readonly watchdog?: WatchdogChoice;
  readonly sysinfo?: 'linux' | 'sim';
  readonly pins?: PinOverrides;
  readonly baudRate?: number;
  /** The data directory, whose file system the disk figures describe. Default '/'. */
  readonly dataPath?: string;
  /** Watchdog timeout for the sim watchdog. */
  readonly simWatchdogTimeoutMs?: number;
  readonly simSystemInfo?: Partial<SystemInfo>;
  readonly thresholds?: GestureThresholds;
  /** The environment (NOTIFY_SOCKET, WATCHDOG_USEC); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
  readonly logger?: HalLogger;
}

const PORT_CHOICES: readonly string[] = ['auto', 'linux', 'sim', 'none'];
const WATCHDOG_CHOICES: readonly string[] = ['auto', 'dev', 'systemd', 'sim', 'none'];
const BOARD_CHOICES: readonly string[] = ['auto', 'rpi4', 'rpi5', 'generic'];

function oneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
    throw new HalError('BAD_CONFIG', `hal.${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

function checkLine(field: string, line: unknown): void {
  if (!Number.isInteger(line) || (line as number) < 0 || (line as number) > 4095) {
    throw new HalError('BAD_CONFIG', `hal.${field} must be a GPIO line number 0–4095, got ${JSON.stringify(line)}`);
  }
}

function checkLedTarget(field: string, t: LedTarget): void {
  if (t?.kind === 'gpio') checkLine(`${field}.line`, t.line);
  else if (t?.kind === 'sysfs-led') {
    if (!Array.isArray(t.names) || t.names.length === 0 || !t.names.every((n) => typeof n === 'string' && /^[\w:.-]+$/.test(n))) {
      throw new HalError('BAD_CONFIG', `hal.${field}.names must be LED names under /sys/class/leds`);
    }
  } else throw new HalError('BAD_CONFIG', `hal.${field}.kind must be gpio or sysfs-led`);
}

/** Throws HalError BAD_CONFIG naming the first invalid field. */
export function validateOptions(o: HalOptions): void {
  if (o.root !== undefined && (typeof o.root !== 'string' || !o.root.startsWith('/'))) {
    throw new HalError('BAD_CONFIG', `hal.root must be an absolute path, got ${JSON.stringify(o.root)}`);
  }
  oneOf('board', o.board, BOARD_CHOICES);
  oneOf('led', o.led, PORT_CHOICES);
  oneOf('button', o.button, PORT_CHOICES);
  oneOf('console', o.console, PORT_CHOICES);
  oneOf('watchdog', o.watchdog, WATCHDOG_CHOICES);
  oneOf('sysinfo', o.sysinfo, ['linux', 'sim']);
  if (o.baudRate !== undefined && !(Number.isInteger(o.baudRate) && o.baudRate > 0)) {
    throw new HalError('BAD_CONFIG', `hal.baudRate must be a positive integer, got ${JSON.stringify(o.baudRate)}`);
  }
  if (o.dataPath !== undefined && !o.dataPath.startsWith('/')) {
    throw new HalError('BAD_CONFIG', `hal.dataPath must be an absolute path, got ${JSON.stringify(o.dataPath)}`);
  }
  const pins = o.pins;
  if (!pins) return;
  pins.statusLeds?.forEach((t, i) => checkLedTarget(`pins.statusLeds[${i}]`, t));
  if (pins.button) checkLine('pins.button.line', pins.button.line);
  if (pins.uart !== undefined && pins.uart !== null && !pins.uart.startsWith('/')) {
    throw new HalError('BAD_CONFIG', `hal.pins.uart must be an absolute device path, got ${JSON.stringify(pins.uart)}`);
  }
}

export interface PinMap {
  readonly gpioChipLabel: string | null;
  readonly statusLeds: readonly LedTarget[];
  readonly button: ButtonPin | null;
  readonly uartPaths: readonly string[];
}

/** The board's pin map with the configured overrides applied. */
export function pinMapFor(board: BoardDefinition, pins: PinOverrides = {}): PinMap {
  return {
    gpioChipLabel: pins.gpioChipLabel !== undefined ? pins.gpioChipLabel : board.gpioChipLabel,
    statusLeds: pins.statusLeds ?? board.statusLeds,
    button: pins.button !== undefined ? pins.button : board.button,
    uartPaths: pins.uart !== undefined ? (pins.uart === null ? [] : [pins.uart]) : board.uartPaths,
  };
}
