/**
 * Virtual time and a faulty network for the consensus simulator: the agenda of node/net/sim (events ordered by
 * time, then insertion), seeded per-message delays, drops, duplicates, and partitions that heal. Everything
 * random is drawn from one seeded stream, so a seed replays exactly.
 */
import { EventQueue } from '../../net/sim/event-queue.ts';
import type { SeededRandom } from '../../net/sim/index.ts';

export interface NetworkFaults {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Share of transmissions lost. Links are streams (libp2p over TCP), so a lost transmission is resent after
   * `retransmitMs` (and may be lost again); only a partition loses messages for good.
   */
  readonly dropRate: number;
  readonly retransmitMs?: number;
  readonly duplicateRate: number;
  /** While startMs ≤ t < endMs, messages between different groups are lost. */
  readonly partition?: { readonly startMs: number; readonly endMs: number; readonly groups: readonly (readonly number[])[] };
}

export class SimLoop {
  readonly #queue = new EventQueue();
  readonly #random: SeededRandom;
  readonly #faults: NetworkFaults;
  readonly #group = new Map<number, number>();
  #seq = 0;
  #now = 0;
  messages = 0;

  constructor(random: SeededRandom, faults: NetworkFaults) {
    this.#random = random;
    this.#faults = faults;
    faults.partition?.groups.forEach((g, i) => g.forEach((node) => this.#group.set(node, i)));
  }

  get now(): number {
    return this.#now;
  }

  at(delayMs: number, run: () => void): void {
    this.#queue.push({ time: this.#now + Math.max(0, Math.ceil(delayMs)), seq: this.#seq++, run, cancelled: false });
  }

  partitioned(a: number, b: number, time: number): boolean {
    const p = this.#faults.partition;
    if (p === undefined || time < p.startMs || time >= p.endMs) return false;
    return (this.#group.get(a) ?? -1) !== (this.#group.get(b) ?? -1);
  }

  /** Schedules delivery of one message from `from` to `to`, through the faults. */
  send(from: number, to: number, extraDelayMs: number, deliver: () => void): void {
    const f = this.#faults;
    const copies = this.#random.next() < f.duplicateRate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let delay = extraDelayMs + f.minDelayMs + this.#random.next() * (f.maxDelayMs - f.minDelayMs);
      while (this.#random.next() < f.dropRate) delay += f.retransmitMs ?? 300;
      const sendTime = this.#now + extraDelayMs;
      this.messages += 1;
      this.at(delay, () => {
        if (!this.partitioned(from, to, sendTime) && !this.partitioned(from, to, this.#now)) deliver();
      });
    }
  }

  /** Runs events until `untilMs` (or `stop` says so). */
  run(untilMs: number, stop: () => boolean = () => false): void {
    for (;;) {
      const next = this.#queue.peek();
      if (next === undefined || next.time > untilMs || stop()) break;
      this.#queue.pop();
      this.#now = next.time;
      next.run();
    }
    this.#now = Math.max(this.#now, untilMs);
  }
}
