/** The host's real clock and randomness, behind the interfaces the protocol code receives. */
import { randomBytes } from 'node:crypto';
import type { Clock, ClockTimer, Random } from './types.ts';

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer: ClockTimer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

export const systemRandom: Random = {
  next: () => randomBytes(4).readUInt32BE(0) / 2 ** 32,
  bytes: (n) => new Uint8Array(randomBytes(n)),
};
