/**
 * Absent hardware: ports that accept every call and do nothing, so the agent's code has no "is there an LED?"
 * branches. The LED still tracks its pattern (a dashboard can show it).
 */
import type { Clock } from './clock.ts';
import { createLedController } from './led-controller.ts';
import type { ButtonPort, ConsolePort, LedPort, WatchdogPort } from './ports.ts';

export function noneLed(clock: Clock): LedPort {
  return createLedController('none', { open: async () => {}, write: () => {}, close: async () => {} }, clock);
}

export function noneButton(): ButtonPort {
  return {
    kind: 'none',
    start: async () => {},
    stop: async () => {},
    onEvent: () => () => {},
    isPressed: () => false,
  };
}

export function noneConsole(): ConsolePort {
  return {
    kind: 'none',
    path: null,
    start: async () => {},
    stop: async () => {},
    onLine: () => () => {},
    // Output to a console nobody can read is dropped, not an error.
    writeLine: async () => {},
  };
}

export function noneWatchdog(): WatchdogPort {
  return { kind: 'none', timeoutMs: null, start: async () => {}, stop: async () => {}, kick: async () => {} };
}
