/**
 * Links between simulated peers: each directed link's base latency (drawn once per link), per-message jitter,
 * arrival order (a request/response stream delivers in order, as RLDP's one stream per peer pair does; datagrams
 * may overtake each other) and cuts (partitions).
 */
import { SimError } from './errors.ts';
import type { LatencyDistribution } from './latency.ts';
import type { SeededRandom } from './random.ts';

export interface LinkOptions {
  readonly linkLatency: LatencyDistribution;
  readonly jitter: LatencyDistribution | undefined;
}

const linkName = (from: string, to: string) => `${from}\n${to}`;

export class Links {
  readonly #random: SeededRandom;
  readonly #options: LinkOptions;
  readonly #base = new Map<string, number>();
  readonly #lastArrival = new Map<string, number>();
  readonly #cut = new Set<string>();

  constructor(random: SeededRandom, options: LinkOptions) {
    this.#random = random;
    this.#options = options;
  }

  /** Whole-ms delay of one message from `from` to `to`. */
  delay(from: string, to: string): number {
    const name = linkName(from, to);
    let base = this.#base.get(name);
    if (base === undefined) {
      base = this.#options.linkLatency(this.#random.fork(`link/${from}/${to}`));
      this.#base.set(name, base);
    }
    const jitter = this.#options.jitter?.(this.#random) ?? 0;
    const ms = Math.round(base + jitter);
    if (!Number.isFinite(ms)) throw new SimError('BAD_ARGUMENT', `latency model gave ${ms} ms`);
    return Math.max(0, ms);
  }

  /** Arrival time of the next in-order message on the link: never before the previous one. */
  orderedArrival(from: string, to: string, now: number): number {
    const name = linkName(from, to);
    const arrival = Math.max(now + this.delay(from, to), this.#lastArrival.get(name) ?? 0);
    this.#lastArrival.set(name, arrival);
    return arrival;
  }

  isCut(from: string, to: string): boolean {
    return this.#cut.has(linkName(from, to));
  }

  /** Cuts both directions between a and b. */
  cut(a: string, b: string): void {
    this.#cut.add(linkName(a, b)).add(linkName(b, a));
  }

  /** Restores both directions between a and b, or every link when called without peers. */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) {
      this.#cut.clear();
      return;
    }
    this.#cut.delete(linkName(a, b));
    this.#cut.delete(linkName(b, a));
  }
}
