/**
 * Kicks a watchdog on a timer while the agent says it is healthy. The point of a watchdog is that kicks stop when
 * the agent is stuck, so the keeper asks `healthy()` each time instead of kicking blindly from a timer that would
 * keep running even if the agent's main work had wedged.
 */
import type { Clock, ClockTimer } from './clock.ts';
import { HalError, describeError } from './errors.ts';
import type { WatchdogPort } from './ports.ts';
import type { WarningReporter } from './warnings.ts';

export interface WatchdogKeeper {
  /** Arms the watchdog (watchdog.start()) and kicks at once, then every intervalMs. */
  start(): Promise<void>;
  /** Stops kicking and disarms (magic close). */
  stop(): Promise<void>;
  readonly intervalMs: number;
}

/** Used when the timeout cannot be read (no ioctl from Node, no sysfs timeout file): the bcm2835 default is 15 s. */
export const FALLBACK_KICK_INTERVAL_MS = 5_000;

/**
 * A third of the timeout: systemd suggests half; a third leaves a whole interval of slack for an event loop stalled
 * by a slow SD card on a Pi.
 */
export function kickIntervalFor(timeoutMs: number | null): number {
  return timeoutMs === null ? FALLBACK_KICK_INTERVAL_MS : Math.max(100, Math.floor(timeoutMs / 3));
}

export function createWatchdogKeeper(options: {
  watchdog: WatchdogPort;
  clock: Clock;
  healthy?: () => boolean;
  intervalMs?: number;
  report?: WarningReporter;
}): WatchdogKeeper {
  const { watchdog, clock, report } = options;
  const healthy = options.healthy ?? (() => true);
  const intervalMs = options.intervalMs ?? kickIntervalFor(watchdog.timeoutMs);
  if (!(intervalMs > 0)) throw new HalError('BAD_CONFIG', `watchdog intervalMs must be positive, got ${intervalMs}`);
  let timer: ClockTimer | null = null;
  let running = false;
  let withheld = false;

  const kick = async () => {
    if (!healthy()) {
      if (!withheld) {
        withheld = true;
        report?.({
          code: 'WATCHDOG_WITHHELD',
          port: 'watchdog',
          level: 'error',
          message: 'health check failed: watchdog no longer kicked, the box will be reset if it does not recover',
        });
      }
      return;
    }
    withheld = false;
    try {
      await watchdog.kick();
    } catch (error) {
      report?.({ code: 'WATCHDOG_FAULT', port: 'watchdog', level: 'error', message: 'watchdog kick failed', cause: describeError(error) });
    }
  };

  const schedule = () => {
    timer = clock.setTimeout(() => {
      timer = null;
      if (!running) return;
      // Next timer first, so the cadence does not depend on how long a kick takes (kick never rejects).
      schedule();
      void kick();
    }, intervalMs);
  };

  return {
    intervalMs,
    async start() {
      if (running) return;
      await watchdog.start();
      running = true;
      await kick();
      if (running) schedule();
    },
    async stop() {
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await watchdog.stop();
    },
  };
}
