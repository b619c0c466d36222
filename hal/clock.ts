/**
 * Time as the HAL sees it. Everything timed (blink steps, gesture deadlines, watchdog kicks) goes through an
 * injected Clock so tests run on a ManualClock. Same shape as node/net's Clock, so either can be passed.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

export type ClockTimer = { readonly __clockTimer: true } | ReturnType<typeof setTimeout>;

/**
 * Monotonic wall time: a Pi has no battery-backed clock, so Date.now() jumps when NTP syncs after boot and would
 * turn a 1 s press into a 10-hour one. performance.now() never jumps.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

interface ManualTimer {
  readonly handle: { readonly __clockTimer: true };
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A clock that moves only when told; timers run in due order (ties in the order they were set). */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const handle = { __clockTimer: true } as const;
    this.#timers.push({ handle, due: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return handle;
  }

  clearTimeout(timer: ClockTimer): void {
    this.#timers = this.#timers.filter((t) => t.handle !== timer);
  }

  /** Timers not yet run. */
  pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (including ones they set). */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = Math.max(this.#now, target);
  }
}
