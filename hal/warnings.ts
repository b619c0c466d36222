/**
 * Missing or failing hardware is reported as structured warnings, never thrown and never printed: library code has
 * no console output (eslint no-console), so callers get the list and, if they pass one, a pino-compatible logger.
 */

/** The subset of pino's API the HAL calls; any pino logger (or child) fits. Defined here: hal imports nothing of ours. */
export interface HalLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type HalPortName = 'board' | 'led' | 'button' | 'console' | 'sysinfo' | 'watchdog';

export type HalWarningCode =
  | 'BOARD_UNKNOWN' // the device-tree model names no board we define: generic pin map, nothing wired by default
  | 'LED_ABSENT' // no usable LED target: the in-memory LED stands in (its pattern still shows on the dashboard)
  | 'LED_TARGET_SKIPPED' // one of several LED targets is missing; the others are driven
  | 'LED_FAULT' // writing the LED failed while running
  | 'BUTTON_ABSENT' // no GPIO or no button pin: no physical button
  | 'BUTTON_PRESSED_AT_START' // the button read as pressed at start: ignored until released (a stuck button never resets)
  | 'GPIO_DRIVER_FALLBACK' // onoff could not be loaded: sysfs files are polled instead of interrupts
  | 'CONSOLE_ABSENT' // no UART path exists: the serial console is disabled
  | 'CONSOLE_FAULT' // the console failed or closed while running
  | 'WATCHDOG_ABSENT' // neither /dev/watchdog nor a systemd watchdog: the box is not watched
  | 'WATCHDOG_FAULT' // a kick failed
  | 'WATCHDOG_WITHHELD' // the health check failed, so the keeper stopped kicking (the box will be reset)
  | 'START_FAILED' // a port failed to start and was replaced by its absent ("none") adapter
  | 'STOP_FAILED'; // a port failed to release its hardware cleanly at stop

export interface HalWarning {
  readonly code: HalWarningCode;
  readonly port: HalPortName;
  /** 'error' when the configuration asked for hardware that is not there; 'warn' when auto-detection fell back. */
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  /** The device path concerned, under the configured root. */
  readonly path?: string;
  /** The underlying error's message, when there was one. */
  readonly cause?: string;
}

export type WarningReporter = (warning: HalWarning) => void;

/** Collects warnings and forwards each to the logger at its level. One per HAL instance: no module-level state. */
export function createWarningLog(logger?: HalLogger): { report: WarningReporter; list(): readonly HalWarning[] } {
  const warnings: HalWarning[] = [];
  return {
    report(warning) {
      warnings.push(warning);
      if (logger) {
        const { message, ...fields } = warning;
        logger[warning.level](fields, message);
      }
    },
    list: () => [...warnings],
  };
}
