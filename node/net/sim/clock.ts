/**
 * Virtual time for the deterministic simulator. Timers fire in order of due time, then of scheduling; time jumps
 * from one timer to the next, so an hour of protocol runs in as long as its events take to compute.
 *
 * Protocol code is asynchronous: a timer that resolves a promise only schedules the code awaiting it. So the
 * run loop lets all pending promise callbacks (and setImmediate callbacks) finish before it fires the next timer,
 * and every timer those callbacks set is in the agenda before time moves on. Times are whole milliseconds, as
 * protocol messages carry them.
 */
import type { Clock, ClockTimer } from '../types.ts';
import { SimError } from './errors.ts';
import { EventQueue, type SimEvent } from './event-queue.ts';

interface SimTimer {
  readonly __clockTimer: true;
  readonly event: SimEvent;
}

export interface RunOptions {
  /** Stop with an error after this many timers, to turn a livelock into a failure (default 10,000,000). */
  readonly maxEvents?: number;
}

/** Lets every queued promise callback run: setImmediate fires only after the microtask queue is empty. */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class SimClock implements Clock {
  #now: number;
  #seq = 0;
  #live = 0;
  readonly #queue = new EventQueue();

  constructor(startMs = 0) {
    if (!Number.isSafeInteger(startMs) || startMs < 0) {
      throw new SimError('BAD_ARGUMENT', 'start time must be whole ms ≥ 0');
    }
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Runs `fn` `ms` from now (rounded up to whole ms; negative or NaN means now, after what is already due). */
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const delay = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
    const event: SimEvent = { time: this.#now + delay, seq: this.#seq++, run: fn, cancelled: false };
    this.#queue.push(event);
    this.#live += 1;
    const timer: SimTimer = { __clockTimer: true, event };
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    const event = (timer as Partial<SimTimer>).event;
    if (event === undefined || event.cancelled) return;
    event.cancelled = true;
    this.#live -= 1;
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pending(): number {
    return this.#live;
  }

  /** Due time of the next timer, or undefined when none is left. */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#queue.peek()?.time;
  }

  /** Lets pending promise callbacks run without moving time. */
  settle(): Promise<void> {
    return settleMicrotasks();
  }

  /** Fires every timer due at or before `timeMs`, in order, then sets the time to `timeMs`. Returns timers fired. */
  async runUntil(timeMs: number, options: RunOptions = {}): Promise<number> {
    if (!(timeMs >= this.#now)) throw new SimError('BAD_ARGUMENT', `cannot run back to ${timeMs} from ${this.#now}`);
    const fired = await this.#loop((next) => next <= timeMs, options);
    this.#now = Math.max(this.#now, Math.floor(timeMs));
    return fired;
  }

  /** runUntil(now + ms). */
  advance(ms: number, options: RunOptions = {}): Promise<number> {
    return this.runUntil(this.#now + ms, options);
  }

  /** Fires timers until none is left. Returns timers fired. */
  run(options: RunOptions = {}): Promise<number> {
    return this.#loop(() => true, options);
  }

  async #loop(due: (time: number) => boolean, options: RunOptions): Promise<number> {
    const maxEvents = options.maxEvents ?? 10_000_000;
    let fired = 0;
    for (;;) {
      await settleMicrotasks();
      const next = this.nextAt();
      if (next === undefined || !due(next)) return fired;
      if (fired >= maxEvents) throw new SimError('BUSY', `simulation still busy after ${maxEvents} timers`);
      const event = this.#queue.pop()!;
      event.cancelled = true;
      this.#live -= 1;
      this.#now = event.time;
      fired += 1;
      event.run();
    }
  }

  #dropCancelled(): void {
    while (this.#queue.peek()?.cancelled === true) this.#queue.pop();
  }
}
