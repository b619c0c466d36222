/**
 * The time series behind the dashboard's charts: every `everyMs` on the injected clock, one sample of the
 * node's counters in a bounded ring (a device runs for months; the oldest samples go). Samples are taken one
 * at a time — the next is scheduled only once the last finished — so a slow status() never piles them up.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../hal/index.ts';

type ClockTimer = ReturnType<Clock['setTimeout']>;

export interface HistorySample {
  /** Wall-clock ms (for the chart's axis; the clock only paces the sampling). */
  readonly time: number;
  readonly served: number;
  /** Settled earnings, micro-ABC. */
  readonly settled: bigint;
  /** Spendable balance, micro-ABC (null when unknown). */
  readonly balance: bigint | null;
}

export interface HistorySamplerOptions {
  readonly clock: Clock;
  readonly wallNow: () => number;
  /** The node's counters now, or null when there is no node yet (nothing is recorded then). */
  readonly read: () => Promise<Omit<HistorySample, 'time'> | null>;
  readonly everyMs: number;
  readonly capacity: number;
  readonly logger: Logger;
}

export interface HistorySampler {
  start(): void;
  /** Stops the timer and waits for a sample in flight. */
  stop(): Promise<void>;
  /** Oldest first. */
  samples(): readonly HistorySample[];
  /** Takes one sample now (the timer's work; tests call it directly). */
  sample(): Promise<void>;
}

export function createHistorySampler(options: HistorySamplerOptions): HistorySampler {
  const { clock, everyMs, capacity } = options;
  if (!Number.isInteger(everyMs) || everyMs <= 0) throw new RangeError('everyMs must be a positive integer');
  if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive integer');
  const ring: HistorySample[] = [];
  let head = 0; // index of the oldest sample once the ring is full
  let timer: ClockTimer | null = null;
  let running = false;
  let inFlight: Promise<void> = Promise.resolve();

  const push = (sample: HistorySample) => {
    if (ring.length < capacity) ring.push(sample);
    else {
      ring[head] = sample;
      head = (head + 1) % capacity;
    }
  };

  const sample = (): Promise<void> => {
    inFlight = (async () => {
      try {
        const values = await options.read();
        if (values !== null) push({ time: options.wallNow(), ...values });
      } catch (error) {
        options.logger.debug({ err: error }, 'dashboard history: sample failed');
      }
    })();
    return inFlight;
  };

  const schedule = () => {
    timer = clock.setTimeout(() => {
      timer = null;
      void sample().then(() => {
        if (running) schedule();
      });
    }, everyMs);
  };

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async stop() {
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await inFlight;
    },
    samples: () => (ring.length < capacity ? [...ring] : [...ring.slice(head), ...ring.slice(0, head)]),
    sample,
  };
}
