import { RPI_BUTTON, RPI_STATUS_LEDS } from './rpi-common.ts';
import type { BoardDefinition } from './types.ts';

/** Raspberry Pi 5, Pi 500 and Compute Module 5 (BCM2712; the header GPIOs sit on the RP1 chip). */
export const rpi5: BoardDefinition = {
  id: 'rpi5',
  name: 'Raspberry Pi 5',
  modelPattern: /^Raspberry Pi (5 |500|Compute Module 5)/,
  gpioChipLabel: 'pinctrl-rp1',
  statusLeds: RPI_STATUS_LEDS,
  button: RPI_BUTTON,
  // The Pi 5 has a dedicated 3-pin debug UART (ttyAMA10), which serial0 points at unless config.txt moves the
  // console to the header pins (ttyAMA0).
  uartPaths: ['/dev/serial0', '/dev/ttyAMA10', '/dev/ttyAMA0'],
  watchdogPath: '/dev/watchdog',
};
