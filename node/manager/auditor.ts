/**
 * The managers' audit duty (SPEC §6 item 5, §7): every `intervalMs` a manager audits a few of the active workers
 * and temporary workers the ledger holds (in turn by node key, starting from a random one so that the managers
 * spread over the nodes; every node comes up), and puts what it found
 * on the ledger as one node-report transaction signed by its node key. Reputation, promotion and removal read
 * those counters (docs/ledger.md "Reputation and promotion").
 *
 * A cheating verdict (forged receipt, inflated log) needs a failed audit beside it on the ledger, so a cheat is
 * reported as one failed audit with `cheated` set.
 */
import { fromHex, peerIdOf, type RandomSource, toHex } from '../crypto/index.ts';
import type { NodeRecord, TxBody } from '../ledger/index.ts';
import type { Clock, PeerRef, Rpc } from '../net/index.ts';
import { type AuditDeps, type AuditOutcome, auditNode } from './audit.ts';
import type { UptimeBook, UptimeCount } from '../ring/service/uptime-book.ts';
import { DutyTimer } from './duty-timer.ts';
import type { DutyTxs } from './duty-txs.ts';

export interface AuditorOptions {
  readonly rpc: Rpc;
  readonly random: RandomSource;
  readonly clock: Clock;
  /** Signs and submits the reports (this manager's duty transactions). */
  readonly duty: DutyTxs;
  /**
   * Where a node can be reached (its ring-map entry); undefined: not audited this round — unless it sends this
   * manager heartbeats, whose connection then carries the audit.
   */
  readonly peerOf: (node: Uint8Array) => PeerRef | undefined;
  /** The heartbeats this manager counts (heartbeat-desk.ts); their counts go into every report. */
  readonly uptime?: UptimeBook;
  readonly intervalMs?: number;
  /** Nodes audited per round. */
  readonly perRound?: number;
  readonly samples?: number;
  /** Channels as audits check receipts against them; default the ledger's final state. */
  readonly channel?: AuditDeps['channel'];
}

export interface AuditRound {
  readonly audited: readonly AuditOutcome[];
  /** The report submitted (undefined when nothing was audited). */
  readonly report?: TxBody<'node-report'>;
}

type Entry = TxBody<'node-report'>['nodes'][number];
const EMPTY = { auditsPassed: 0n, auditsFailed: 0n, cheated: false, heartbeatsSeen: 0n, heartbeatsExpected: 0n, served: 0n } as const;

export class Auditor {
  readonly #o: AuditorOptions;
  readonly #timer: DutyTimer;
  /** The last node audited, by key; starts at a random key so that the managers do not all audit the same nodes. */
  #after: string;
  #rounds = 0;

  constructor(options: AuditorOptions) {
    this.#o = options;
    this.#after = toHex(options.random(32));
    this.#timer = new DutyTimer(options.clock, options.intervalMs ?? 60_000, () => this.round());
  }

  get rounds(): number {
    return this.#rounds;
  }

  start(): void {
    this.#timer.start();
  }

  stop(): void {
    this.#timer.stop();
  }

  /** Audits the next nodes in turn and submits their report. */
  async round(): Promise<AuditRound> {
    const view = this.#o.duty.active();
    if (view === undefined) return { audited: [] };
    const targets = this.#next(view.records());
    const audited: AuditOutcome[] = [];
    for (const node of targets) {
      const peer = this.#o.peerOf(node.key) ?? (this.#o.uptime?.knows(toHex(node.key)) ? { id: peerIdOf(node.key), addrs: [] } : undefined);
      if (peer === undefined) continue;
      audited.push(
        await auditNode(
          { peer, node: node.key },
          {
            rpc: this.#o.rpc,
            random: this.#o.random,
            channel: this.#o.channel ?? ((id) => this.#o.duty.active()?.channel(id)),
            ...(this.#o.samples === undefined ? {} : { samples: this.#o.samples }),
          },
        ),
      );
    }
    this.#rounds += 1;
    const entries = new Map<string, Entry>();
    for (const a of audited) {
      if (a.passed + a.failed === 0 && !a.cheated) continue;
      entries.set(toHex(a.node), {
        ...EMPTY,
        node: a.node,
        auditsPassed: BigInt(a.passed),
        auditsFailed: BigInt(a.failed + (a.cheated && a.failed === 0 ? 1 : 0)),
        cheated: a.cheated,
      });
    }
    // Heartbeats of nodes the ledger holds (a node-report naming an unknown node would fail as a whole).
    const counts = this.#o.uptime?.drain((hex) => view.node(fromHex(hex)) !== undefined) ?? [];
    for (const c of counts) {
      if (c.expected === 0 && c.served === 0 && c.units === 0) continue;
      const entry = entries.get(c.node) ?? { ...EMPTY, node: fromHex(c.node) };
      const units = c.units === 0 ? {} : { units: BigInt(c.units) };
      entries.set(c.node, { ...entry, heartbeatsSeen: BigInt(c.seen), heartbeatsExpected: BigInt(c.expected), served: BigInt(c.served), ...units });
    }
    if (entries.size === 0) return { audited };
    const report = { nodes: [...entries.values()] };
    if (!this.#submit(report, counts)) return { audited };
    return { audited, report };
  }

  /** Submits a report; false when the pool refused it (the heartbeat counts are kept for the next one). */
  #submit(report: TxBody<'node-report'>, counts: readonly UptimeCount[]): boolean {
    try {
      return this.#o.duty.submit('node-report', report) !== undefined;
    } catch {
      // Refused by the pool (a full pool, a lost nonce race): audits are made again in later rounds.
      this.#o.uptime?.restore(counts);
      return false;
    }
  }

  /** The next `perRound` active workers and temporary workers after the last one audited, by key. */
  #next(records: Iterable<{ t: string }>): NodeRecord[] {
    const nodes = [...records]
      .filter((r): r is NodeRecord & { t: 'node' } => r.t === 'node')
      .filter((n) => n.role !== 'manager' && n.status === 'active')
      .sort((a, b) => (toHex(a.key) < toHex(b.key) ? -1 : 1));
    const start = nodes.findIndex((n) => toHex(n.key) > this.#after);
    const ordered = start < 0 ? nodes : [...nodes.slice(start), ...nodes.slice(0, start)];
    const picked = ordered.slice(0, this.#o.perRound ?? 4);
    if (picked.length > 0) this.#after = toHex(picked[picked.length - 1]!.key);
    return picked;
  }
}
