import { RPI_BUTTON, RPI_STATUS_LEDS } from './rpi-common.ts';
import type { BoardDefinition } from './types.ts';

/** Raspberry Pi 4 B, Pi 400 and Compute Module 4 (BCM2711). */
export const rpi4: BoardDefinition = {
  id: 'rpi4',
  name: 'Raspberry Pi 4',
  modelPattern: /^Raspberry Pi (4 |400|Compute Module 4)/,
  gpioChipLabel: 'pinctrl-bcm2711',
  statusLeds: RPI_STATUS_LEDS,
  button: RPI_BUTTON,
  // serial0 is the firmware's alias for the header UART (GPIO 14/15): the mini UART ttyS0 while Bluetooth holds
  // the PL011, ttyAMA0 otherwise.
  uartPaths: ['/dev/serial0', '/dev/ttyS0', '/dev/ttyAMA0'],
  watchdogPath: '/dev/watchdog',
};
