/**
 * The supervisor loop: runs the health checks every interval and arms the watchdog through hal's keeper, which
 * kicks only while healthy() says so. Healthy means the last round finished recently and no fatal check failed:
 * a check that hangs (a wedged node, a stuck disk) stops the rounds finishing, so the kicks stop and the hardware
 * reboots the box; a fatal failure does the same at once. Degraded failures are only reported (the agent shows
 * the degraded state and keeps serving). Rounds never overlap.
 */
import type { Logger } from 'pino';
import { createWatchdogKeeper, type Clock, type WatchdogKeeper, type WatchdogPort } from '../hal/index.ts';

type ClockTimer = ReturnType<Clock['setTimeout']>;
import { runCheck, type HealthCheck } from './checks/types.ts';

export interface CheckFailure {
  readonly name: string;
  readonly severity: HealthCheck['severity'];
  readonly reason: string;
}

export interface RoundReport {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly failures: readonly CheckFailure[];
}

export interface Supervisor {
  /** Arms the watchdog and schedules the rounds. */
  start(): Promise<void>;
  /** Stops the rounds and disarms the watchdog. */
  stop(): Promise<void>;
  healthy(): boolean;
  lastRound(): RoundReport | null;
  /** Runs a round now, after the one running if there is one, so the report reflects the state of now. */
  runRound(): Promise<RoundReport>;
  onRound(listener: (report: RoundReport) => void): () => void;
}

/** A round not finished after this many intervals means a wedged check. */
const STALE_INTERVALS = 3;

export function createSupervisor(options: {
  watchdog: WatchdogPort;
  clock: Clock;
  /** The checks of this round (the agent's set depends on its state). */
  checks: () => readonly HealthCheck[];
  intervalMs: () => number;
  logger?: Logger;
}): Supervisor {
  const { clock, logger } = options;
  let last: RoundReport | null = null;
  let running: Promise<RoundReport> | null = null;
  let timer: ClockTimer | null = null;
  let active = false;
  let startedAt = clock.now();
  let keeper: WatchdogKeeper | null = null;
  const listeners = new Set<(report: RoundReport) => void>();

  const round = async (): Promise<RoundReport> => {
    const began = clock.now();
    const checks = options.checks();
    const outcomes = await Promise.all(checks.map(runCheck));
    const failures = outcomes.flatMap((o, i) => (o.ok ? [] : [{ name: checks[i]!.name, severity: checks[i]!.severity, reason: o.reason }]));
    const report: RoundReport = { startedAt: began, finishedAt: clock.now(), failures };
    const before = new Set(last?.failures.map((f) => `${f.name}: ${f.reason}`) ?? []);
    for (const f of failures) {
      if (!before.has(`${f.name}: ${f.reason}`)) logger?.[f.severity === 'fatal' ? 'error' : 'warn']({ check: f.name, severity: f.severity }, `health check failed: ${f.reason}`);
    }
    last = report;
    for (const listener of [...listeners]) listener(report);
    return report;
  };

  const runRound = (): Promise<RoundReport> => {
    // Rounds never overlap: a new one starts when the one running ends (a hung one blocks the rest, which is
    // what makes healthy() turn false).
    const next: Promise<RoundReport> = (running ?? Promise.resolve()).then(round, round).finally(() => {
      if (running === next) running = null;
    });
    running = next;
    return next;
  };

  const schedule = () => {
    if (!active) return;
    timer = clock.setTimeout(() => {
      timer = null;
      void runRound().finally(schedule);
    }, options.intervalMs());
  };

  const healthy = () => {
    const now = clock.now();
    const since = last?.finishedAt ?? startedAt;
    if (now - since > STALE_INTERVALS * options.intervalMs()) return false;
    return !(last?.failures.some((f) => f.severity === 'fatal') ?? false);
  };

  return {
    async start() {
      if (active) return;
      active = true;
      startedAt = clock.now();
      keeper = createWatchdogKeeper({
        watchdog: options.watchdog,
        clock,
        healthy,
        report: (w) => logger?.[w.level]({ code: w.code, cause: w.cause }, w.message),
      });
      try {
        await keeper.start();
      } catch (error) {
        // /dev/watchdog held by systemd (EBUSY) or gone: serve unwatched rather than not at all, and say so.
        logger?.error({ err: error }, 'the watchdog could not be armed: nothing resets the box if the agent hangs');
        keeper = null;
      }
      schedule();
    },
    async stop() {
      active = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await keeper?.stop();
      keeper = null;
    },
    healthy,
    lastRound: () => last,
    runRound,
    onRound(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
