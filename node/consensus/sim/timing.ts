/**
 * Shared pieces of the simulator runners: which nodes are Byzantine (a seeded shuffle), the two halves of a
 * partition, and the times honest nodes decide heights — round times and per-height latencies.
 */
import type { SeededRandom } from '../../net/sim/index.ts';
import type { ConsensusEvent, ConsensusOutput, Decide } from '../types.ts';
import type { NetworkFaults, SimLoop } from './network.ts';

/** The ring in a seeded order: the first entries become the Byzantine nodes, halves alternate in it. */
export function shuffledOrder(random: SeededRandom, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export function withPartition(
  faults: NetworkFaults,
  order: readonly number[],
  partition: { readonly startMs: number; readonly endMs: number } | undefined,
): NetworkFaults {
  if (partition === undefined) return faults;
  const groups = [order.filter((_, i) => i % 2 === 0), order.filter((_, i) => i % 2 === 1)];
  return { ...faults, partition: { ...partition, groups } };
}

/** When each honest node first decided each height. */
export class DecideTimes {
  readonly #times = new Map<number, Map<number, number>>();

  record(node: number, height: number, now: number): void {
    const times = this.#times.get(node) ?? new Map<number, number>();
    this.#times.set(node, times);
    if (!times.has(height)) times.set(height, now);
  }

  /** Every (node, height) whose predecessor the same node decided: the time between the two. */
  #each(visit: (height: number, ms: number) => void): void {
    for (const times of this.#times.values()) {
      for (const [h, t] of times) {
        const before = times.get(h - 1);
        if (before !== undefined) visit(h, t - before);
      }
    }
  }

  rounds(): number[] {
    const out: number[] = [];
    this.#each((_, ms) => out.push(ms));
    return out;
  }

  /** Height → the mean round time over the honest nodes that decided it and its predecessor. */
  byHeight(): Map<number, number> {
    const sums = new Map<number, { total: number; count: number }>();
    this.#each((h, ms) => {
      const s = sums.get(h) ?? { total: 0, count: 0 };
      s.total += ms;
      s.count += 1;
      sums.set(h, s);
    });
    return new Map([...sums].sort((a, b) => a[0] - b[0]).map(([h, s]) => [h, s.total / s.count]));
  }
}

/** At time 0, every node but the silent ones gets its first value and starts. */
export function startNodes(loop: SimLoop, n: number, silent: (i: number) => boolean, start: (i: number) => void): void {
  for (let i = 0; i < n; i++) if (!silent(i)) loop.at(0, () => start(i));
}

/** Liveness: every honest node finalised a block at or after `liveFrom`. */
export function livenessOf(
  honest: readonly number[],
  lastFinalAt: ReadonlyMap<number, number>,
  liveFrom: number,
): { readonly ok: boolean; readonly detail: string } {
  const stalled = honest.filter((i) => (lastFinalAt.get(i) ?? -1) < liveFrom);
  return stalled.length === 0
    ? { ok: true, detail: 'every honest node finalised after healing' }
    : { ok: false, detail: `no final block after ${liveFrom} ms at nodes ${stalled.join(',')}` };
}

/** What a runner does with a node's outputs. */
export interface OutputSink<M> {
  transmit(message: M, to: readonly number[] | 'all'): void;
  /** Delivers an event to the same node (its timers). */
  dispatch(event: ConsensusEvent<M>): void;
  decide(d: Decide): void;
}

/** Carries out one node's outputs: messages, timers on the loop, decisions. Returns whether it decided. */
export function carryOut<M>(loop: SimLoop, outputs: readonly ConsensusOutput<M>[], sink: OutputSink<M>): boolean {
  let decided = false;
  for (const o of outputs) {
    if (o.kind === 'broadcast') sink.transmit(o.message, 'all');
    else if (o.kind === 'send') sink.transmit(o.message, [o.to]);
    else if (o.kind === 'set-timer') {
      const { name, height, epoch } = o;
      loop.at(o.delayMs, () => sink.dispatch({ kind: 'timer', name, height, epoch }));
    } else {
      sink.decide(o);
      decided = true;
    }
  }
  return decided;
}
