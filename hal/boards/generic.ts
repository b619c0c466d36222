import type { BoardDefinition } from './types.ts';

/**
 * Any other Linux machine (an x86 server, a container, another SBC): nothing is assumed wired, so no LED or button
 * pins and no console UART unless the configuration names them.
 */
export const generic: BoardDefinition = {
  id: 'generic',
  name: 'Generic Linux',
  modelPattern: null,
  gpioChipLabel: null,
  statusLeds: [],
  button: null,
  uartPaths: [],
  watchdogPath: '/dev/watchdog',
};
