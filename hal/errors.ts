/**
 * Typed errors of the HAL. hal/ may import nothing of ours (SPEC.md §2), so this is not node/crypto's AmeError but
 * has the same shape — a stable `code` and a message — so callers map both the same way.
 */
export type HalErrorCode =
  | 'BAD_CONFIG' // a HAL option that is not one of its allowed values; the message names the field
  | 'BAD_PATTERN' // an LED pattern with no steps, a step that is too short, or a non-integer repeat
  | 'NOT_STARTED' // a port used before start() or after stop()
  | 'GPIO_UNAVAILABLE' // no GPIO driver could be loaded, or the sysfs GPIO interface is missing
  | 'GPIO_CHIP_NOT_FOUND' // the board's GPIO chip is not under <root>/sys/class/gpio, so a pin cannot be numbered
  | 'GPIO_IO' // exporting, configuring, reading or writing a GPIO line failed
  | 'LED_IO' // writing an LED under /sys/class/leds failed
  | 'SERIAL_UNAVAILABLE' // the serialport package (native binding) could not be loaded
  | 'CONSOLE_OPEN_FAILED' // the UART or pseudo-terminal could not be opened
  | 'CONSOLE_IO' // writing to an open console failed
  | 'PTY_UNAVAILABLE' // the pseudo-terminal helper (python3) could not be started
  | 'SYSINFO_UNREADABLE' // a /proc or /sys file exists but could not be read
  | 'SYSINFO_MALFORMED' // a /proc or /sys file does not have the expected format
  | 'WATCHDOG_UNAVAILABLE' // no /dev/watchdog, or systemd did not ask for a watchdog
  | 'WATCHDOG_IO'; // opening, kicking or closing the watchdog failed

export class HalError extends Error {
  /** Stable, machine-readable code (same contract as AmeError.code). */
  readonly code: HalErrorCode;

  constructor(code: HalErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The message of any thrown value, for warnings that carry the cause as text. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
