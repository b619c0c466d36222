/**
 * The removal duty (SPEC §6 items 7–8): every round a manager removes the active workers and temporary workers
 * the final state shows with a bad record (a failed audit proven as cheating, on the node or its payout account) —
 * `remove` with `cheating`, which forfeits the deposit and every unreleased option — and those that went silent:
 * no heartbeat seen in `silentIntervals` expected ones in a row on the ledger (a node that vanished without an exit
 * keeps what it earned but not its deposit). When the removed node was a server of a Unity, the best-ranked
 * temporary worker attached to that Unity that the promotion rules accept (`replacementCandidates`) is promoted in
 * the same round: it takes the place first.
 *
 * Every manager runs it; two managers removing the same node submit two removals and the second fails on the
 * ledger (the node is no longer active) — a wasted transaction, not a wrong one.
 */
import { toHex } from '../crypto/index.ts';
import { type NodeRecord, replacementCandidates } from '../ledger/index.ts';
import type { Clock } from '../net/index.ts';
import { DutyTimer } from './duty-timer.ts';
import type { DutyTxs } from './duty-txs.ts';

export interface RemoverOptions {
  readonly duty: DutyTxs;
  readonly clock: Clock;
  readonly intervalMs?: number;
  /**
   * Heartbeat intervals expected with none seen, counted back from the newest uptime bucket, after which a node
   * is removed as vanished (default 8,640: a day of 10 s intervals).
   */
  readonly silentIntervals?: bigint;
}

export interface Removal {
  readonly node: Uint8Array;
  readonly cheating: boolean;
  readonly reason: string;
  /** The temporary worker promoted in its place. */
  readonly replacement?: Uint8Array;
}

/** Intervals expected since the last one seen, newest bucket first; undefined when no bucket counts any. */
function silence(node: NodeRecord): bigint | undefined {
  let silent = 0n;
  for (let i = node.rep.uptime.length - 1; i >= 0; i--) {
    const bucket = node.rep.uptime[i]!;
    if (bucket.seen > 0n) return silent;
    silent += bucket.expected;
  }
  return node.rep.uptime.length === 0 ? undefined : silent;
}

export class Remover {
  readonly #o: RemoverOptions;
  readonly #timer: DutyTimer;
  /** Nodes this manager submitted a removal for, and when: not submitted again while it may still land. */
  readonly #pending = new Map<string, number>();

  constructor(options: RemoverOptions) {
    this.#o = options;
    this.#timer = new DutyTimer(options.clock, options.intervalMs ?? 10_000, () => this.round());
  }

  start(): void {
    this.#timer.start();
  }

  stop(): void {
    this.#timer.stop();
  }

  /** Removes this round's nodes (and promotes their replacements); what it submitted. */
  round(): Removal[] {
    const view = this.#o.duty.active();
    if (view === undefined) return [];
    const now = this.#o.clock.now();
    const params = view.params();
    const time = view.chain().lastTime;
    const due: Removal[] = [];
    for (const record of view.records()) {
      if (record.t !== 'node' || record.role === 'manager' || record.status !== 'active') continue;
      const hex = toHex(record.key);
      const since = this.#pending.get(hex);
      if (since !== undefined && now - since < (this.#o.intervalMs ?? 10_000) * 6) continue;
      if (record.rep.bad || view.account(record.account).bad) {
        due.push({ node: record.key, cheating: true, reason: 'bad record: a failed audit proven as cheating' });
        continue;
      }
      const silent = silence(record);
      if (silent !== undefined && silent >= (this.#o.silentIntervals ?? 8_640n)) {
        due.push({ node: record.key, cheating: false, reason: `silent: no heartbeat in ${silent} intervals` });
      }
    }
    const done: Removal[] = [];
    const taken = new Set<string>();
    for (const removal of due) {
      const node = view.node(removal.node)!;
      try {
        if (this.#o.duty.submit('remove', { node: removal.node, cheating: removal.cheating, reason: removal.reason }) === undefined) break;
      } catch {
        break; // the pool refused: the next round tries again
      }
      this.#pending.set(toHex(removal.node), now);
      let replacement: Uint8Array | undefined;
      if (node.role === 'worker' && node.unity !== '') {
        const best = replacementCandidates(view, params, time, node.unity).find((c) => c.shortfall === undefined && !taken.has(toHex(c.node.key)));
        if (best !== undefined) {
          try {
            this.#o.duty.submit('promote', { node: best.node.key });
            replacement = best.node.key;
            taken.add(toHex(best.node.key));
          } catch {
            // Promoted by a later round (the candidate is still first) or by another manager.
          }
        }
      }
      done.push(replacement === undefined ? removal : { ...removal, replacement });
    }
    for (const [hex, at] of this.#pending) if (now - at > (this.#o.intervalMs ?? 10_000) * 60) this.#pending.delete(hex);
    return done;
  }
}
