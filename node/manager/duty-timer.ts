/**
 * The clock of a manager duty (audits, attachments, removals, period closes): runs `round` every `intervalMs` on
 * the injected clock, the next round scheduled only once the last one finished, so a slow round never overlaps
 * the next. A round's failure is its own business (each duty catches what it can retry); the timer goes on.
 */
import type { Clock, ClockTimer } from '../net/index.ts';

export class DutyTimer {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #round: () => unknown;
  #timer: ClockTimer | undefined;
  #running = false;

  constructor(clock: Clock, intervalMs: number, round: () => unknown) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#round = round;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      void Promise.resolve()
        .then(this.#round)
        .catch(() => undefined)
        .finally(() => {
          if (this.#running) this.#schedule();
        });
    }, this.#intervalMs);
  }
}
