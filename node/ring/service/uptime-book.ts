/**
 * Heartbeat intervals seen and expected per node, for the uptime the managers put on the ledger (SPEC §5
 * Liveness: "uptime = share of heartbeat intervals seen"). Time is cut into intervals of `intervalMs` (interval k
 * = [k·I, (k+1)·I) on the injected clock). A node's window opens at the interval of its first heartbeat; `drain`
 * closes everything before the current interval: per node, the intervals with at least one heartbeat (seen) and
 * the intervals that passed (expected), then opens the next window at the current interval. A heartbeat of the
 * current interval is counted by the next drain, so two drains never count an interval twice.
 *
 * `served` is the node's own count of requests it logged (cumulative, as its heartbeats say); a drain reports
 * what it grew by since the last one. It is the node's word: the audits sample the log it counts.
 */
import type { Clock } from '../../net/types.ts';

export interface UptimeCount {
  /** The node as the caller named it (a hex node key). */
  readonly node: string;
  readonly seen: number;
  readonly expected: number;
  readonly served: number;
}

interface Window {
  from: number;
  readonly beats: Set<number>;
  served: number;
  reported: number;
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

  /** Records a heartbeat of `node` now, with its cumulative count of requests served; the interval counted in. */
  beat(node: string, served = 0): number {
    const k = this.#now();
    let w = this.#windows.get(node);
    if (w === undefined) {
      if (this.#windows.size >= this.#max) return k;
      w = { from: k, beats: new Set(), served, reported: served };
      this.#windows.set(node, w);
    }
    w.beats.add(k);
    // A restarted node counts from zero again: what it served before was reported already.
    if (served < w.served) w.reported = 0;
    w.served = served;
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
      out.push({ node, seen, expected: k - w.from, served: Math.max(0, w.served - w.reported) });
      w.from = k;
      w.reported = w.served;
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
      w.reported -= c.served;
    }
  }
}
