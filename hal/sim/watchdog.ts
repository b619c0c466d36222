/**
 * The simulated watchdog: records kicks on the injected clock and reports a starvation (what would have been a
 * reset) when no kick came within the timeout.
 */
import type { Clock, ClockTimer } from '../clock.ts';
import { HalError } from '../errors.ts';
import type { WatchdogPort } from '../ports.ts';

export interface Starvation {
  /** When the timeout ran out. */
  readonly at: number;
  /** The last kick before it (or the arming time). */
  readonly lastKickAt: number;
}

export interface SimWatchdog extends WatchdogPort {
  kicks(): readonly number[];
  starvations(): readonly Starvation[];
  onStarve(listener: (s: Starvation) => void): () => void;
  armed(): boolean;
  /** Whether the last stop() was a clean (magic) close. */
  closedCleanly(): boolean;
}

export function createSimWatchdog(options: { clock: Clock; timeoutMs?: number }): SimWatchdog {
  const { clock } = options;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const kicks: number[] = [];
  const starvations: Starvation[] = [];
  const listeners = new Set<(s: Starvation) => void>();
  let timer: ClockTimer | null = null;
  let lastKickAt = 0;
  let isArmed = false;
  let clean = false;

  const arm = () => {
    if (timer !== null) clock.clearTimeout(timer);
    // Reported once per starvation; the next kick re-arms it (a real box would have rebooted here).
    timer = clock.setTimeout(() => {
      timer = null;
      const s: Starvation = { at: clock.now(), lastKickAt };
      starvations.push(s);
      for (const listener of [...listeners]) listener(s);
    }, timeoutMs);
  };

  return {
    kind: 'sim',
    timeoutMs,
    async start() {
      if (isArmed) return;
      isArmed = true;
      clean = false;
      lastKickAt = clock.now();
      arm();
    },
    async kick() {
      if (!isArmed) throw new HalError('NOT_STARTED', 'sim watchdog is not armed');
      lastKickAt = clock.now();
      kicks.push(lastKickAt);
      arm();
    },
    async stop() {
      if (!isArmed) return;
      isArmed = false;
      clean = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
    kicks: () => [...kicks],
    starvations: () => [...starvations],
    onStarve(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    armed: () => isArmed,
    closedCleanly: () => clean,
  };
}
