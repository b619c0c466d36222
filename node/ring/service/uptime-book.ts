/**
 * Heartbeat intervals seen and expected per node, for the uptime the managers put on the ledger (SPEC §5
 * Liveness: "uptime = share of heartbeat intervals seen"). Time is cut into intervals of `intervalMs` (interval k
 * = [k·I, (k+1)·I) on the injected clock). A node's window opens at the interval of its first heartbeat; `drain`
 * closes everything before the current interval: per node, the intervals with at least one heartbeat (seen) and
 * the intervals that passed (expected), then opens the next window at the current interval. A heartbeat of the
 * current interval is counted by the next drain, so two drains never count an interval twice.
 *
 * `served` and `units` are the node's own counts of the requests it logged and their workload units (cumulative, as
 * its heartbeats say); a drain reports what they grew by since the last one. They are the node's word: the audits
 * sample the log they count.
 */
import type { Clock } from '../../net/types.ts';

export interface UptimeCount {
  /** The node as the caller named it (a hex node key). */
  readonly node: string;
  readonly seen: number;
  readonly expected: number;
  readonly served: number;
  readonly units: number;
}

/** A cumulative count and how much of it was reported. */
interface Counter {
  now: number;
  reported: number;
}

interface Window {
  from: number;
  readonly beats: Set<number>;
  readonly served: Counter;
  readonly units: Counter;
}

/** A new cumulative value; a smaller one is a restarted node counting from zero (what it had was reported). */
function advance(counter: Counter, value: number): void {
  if (value < counter.now) counter.reported = 0;
  counter.now = value;
}

function take(counter: Counter): number {
  const grown = Math.max(0, counter.now - counter.reported);
  counter.reported = counter.now;
  return grown;
}

export class UptimeBook {
  readonly #clock: Clock;
  readonly #interval: number;
  readonly #max: number;
  readonly #windows = new Map<string, Window>();

  /** `maxNodes` bounds memory against heartbeats from anyone (new nodes past it are ignored). */
  constructor(options: { readonly clock: Clock; readonly intervalMs: number; readonly maxNodes?: number }) {
    this.#clock = options.clock;
    this.#interval = options.intervalMs;
    this.#max = options.maxNodes ?? 100_000;
  }

  get intervalMs(): number {
    return this.#interval;
  }

  /** Whether `node` sent a heartbeat since this book was made (and was not forgotten by a drain). */
  knows(node: string): boolean {
    return this.#windows.has(node);
  }

  #now(): number {
    return Math.floor(this.#clock.now() / this.#interval);
  }

  /**
   * Records a heartbeat of `node` now, with its cumulative counts of requests served and of their workload units;
   * the interval counted in. What a node had served before its first heartbeat here is not counted.
   */
  beat(node: string, served = 0, units = 0): number {
    const k = this.#now();
    let w = this.#windows.get(node);
    if (w === undefined) {
      if (this.#windows.size >= this.#max) return k;
      w = { from: k, beats: new Set(), served: { now: served, reported: served }, units: { now: units, reported: units } };
      this.#windows.set(node, w);
    }
    w.beats.add(k);
    advance(w.served, served);
    advance(w.units, units);
    return k;
  }

  /** Closes every window of a node `keep` accepts up to the current interval; forgets the others. */
  drain(keep: (node: string) => boolean = () => true): UptimeCount[] {
    const k = this.#now();
    const out: UptimeCount[] = [];
    for (const [node, w] of this.#windows) {
      if (!keep(node)) {
        this.#windows.delete(node);
        continue;
      }
      if (k <= w.from) continue;
      let seen = 0;
      for (const i of w.beats) {
        if (i < k) {
          seen += 1;
          w.beats.delete(i);
        }
      }
      out.push({ node, seen, expected: k - w.from, served: take(w.served), units: take(w.units) });
      w.from = k;
    }
    return out;
  }

  /** Puts counts a drain took back (their report did not reach the pool), so the next drain reports them. */
  restore(counts: readonly UptimeCount[]): void {
    for (const c of counts) {
      const w = this.#windows.get(c.node);
      if (w === undefined) continue;
      w.from -= c.expected;
      for (let i = 0; i < c.seen; i++) w.beats.add(w.from + i);
      w.served.reported -= c.served;
      w.units.reported -= c.units;
    }
  }
}
