/**
 * The attach duty (SPEC §6 item 1: the Manager Ring "attaches the device to the Unity with the highest load").
 * Every round a manager looks for active temporary workers the final state holds unattached and attaches each
 * to the Unity with the highest load per member — its load shared by its servers and the temporary workers
 * already attached to it (including those attached this round), so a burst of registrations spreads instead of
 * piling onto one Unity. Ties go to the Unity listed first.
 *
 * One manager attaches a given node — the one its key points to among the managers (`dutyIndex`) — so six
 * managers do not submit six attachments; when that manager stays silent for `graceMs` after the registration,
 * every manager does (a second attachment of the same node only repeats the choice).
 */
import { toHex } from '../crypto/index.ts';
import type { NodeRecord } from '../ledger/index.ts';
import type { Clock } from '../net/index.ts';
import { dutyIndex } from '../worker/heartbeat-protocol.ts';
import { DutyTimer } from './duty-timer.ts';
import type { DutyTxs } from './duty-txs.ts';

/** What a Unity carries now, as the manager sees it (requests per second its servers report, or a proxy). */
export interface UnityLoad {
  readonly unity: string;
  readonly load: number;
  /** Its servers (the temporary workers attached to it are counted from the ledger). */
  readonly servers: number;
}

export interface AttacherOptions {
  readonly duty: DutyTxs;
  readonly clock: Clock;
  /** The Unities to attach to and their load; empty: nothing is attached this round. */
  readonly loads: () => readonly UnityLoad[];
  readonly intervalMs?: number;
  /** How long after a registration every manager attaches the node, not only its duty manager (default 30 s). */
  readonly graceMs?: number;
}

export { dutyIndex };

/** Picks the Unity for each node in turn, counting every choice as one more member of that Unity. */
export function chooseUnities(nodes: readonly Uint8Array[], loads: readonly UnityLoad[], attached: ReadonlyMap<string, number>): string[] {
  const members = new Map(loads.map((u) => [u.unity, u.servers + (attached.get(u.unity) ?? 0)]));
  return nodes.map(() => {
    let best: UnityLoad | undefined;
    let bestShare = -1;
    for (const u of loads) {
      const share = u.load / Math.max(1, members.get(u.unity)!);
      if (share > bestShare) {
        best = u;
        bestShare = share;
      }
    }
    members.set(best!.unity, members.get(best!.unity)! + 1);
    return best!.unity;
  });
}

export class Attacher {
  readonly #o: AttacherOptions;
  readonly #timer: DutyTimer;
  /** Nodes attached by this manager and not yet final, so a round does not attach them again. */
  readonly #pending = new Map<string, { readonly key: Uint8Array; readonly at: number }>();

  constructor(options: AttacherOptions) {
    this.#o = options;
    this.#timer = new DutyTimer(options.clock, options.intervalMs ?? 5_000, () => this.round());
  }

  start(): void {
    this.#timer.start();
  }

  stop(): void {
    this.#timer.stop();
  }

  /** Attaches this round's nodes; returns the attachments submitted, node key (hex) → Unity. */
  round(): Map<string, string> {
    const done = new Map<string, string>();
    const view = this.#o.duty.active();
    const loads = this.#o.loads();
    if (view === undefined || loads.length === 0) return done;
    const now = this.#o.clock.now();
    const managers = view.managers().keys.map(toHex);
    const me = managers.indexOf(toHex(this.#o.duty.key));
    const time = view.chain().lastTime;
    const grace = BigInt(this.#o.graceMs ?? 30_000);
    const nodes: NodeRecord[] = [];
    const attached = new Map<string, number>();
    for (const record of view.records()) {
      if (record.t !== 'node' || record.role !== 'temporary' || record.status !== 'active') continue;
      if (record.unity !== '') {
        attached.set(record.unity, (attached.get(record.unity) ?? 0) + 1);
        continue;
      }
      const hex = toHex(record.key);
      const pending = this.#pending.get(hex);
      if (pending !== undefined && now - pending.at < (this.#o.intervalMs ?? 5_000) * 4) continue;
      if (dutyIndex(record.key, managers.length) !== me && time - record.rep.since < grace) continue;
      nodes.push(record);
    }
    for (const [hex, { key }] of this.#pending) if (view.node(key)?.unity !== '') this.#pending.delete(hex);
    const unities = chooseUnities(
      nodes.map((n) => n.key),
      loads,
      attached,
    );
    for (const [i, node] of nodes.entries()) {
      try {
        if (this.#o.duty.submit('attach', { node: node.key, unity: unities[i]! }) === undefined) break;
      } catch {
        break; // the pool refused (full, or the counter lost a race): the next round tries again
      }
      this.#pending.set(toHex(node.key), { key: node.key, at: now });
      done.set(toHex(node.key), unities[i]!);
    }
    return done;
  }
}
