/**
 * A registered node's heartbeats (SPEC §5 "Liveness"): one in the middle of every interval to its duty manager
 * (`dutyIndex` in the ledger's manager list; the next ones in order when it does not answer), carrying its service
 * log's length and workload units, which the manager counts into the ledger's uptime; and, while it serves as an
 * attached temporary worker, one to each index server of its Unity (`ring/worker-beat`), which offer it to clients
 * while it keeps beating. The interval is the manager's (its reply names it): no node picks its own, sparser one.
 */
import { peerIdOf } from '../crypto/index.ts';
import type { NodeRecord } from '../ledger/index.ts';
import type { Clock, ClockTimer, NetLogger, PeerRef, Rpc } from '../net/index.ts';
import { DEFAULT_HEARTBEAT_MS, dutyIndex, sendHeartbeat } from './heartbeat-protocol.ts';
import { sendWorkerBeat } from './introduction-protocol.ts';

export interface HeartbeatsOptions {
  readonly rpc: Rpc;
  readonly clock: Clock;
  /** The node key (its duty manager follows from it). */
  readonly key: Uint8Array;
  /** The ledger's manager set (node keys) at the verified head. */
  readonly managerKeys: () => readonly Uint8Array[];
  /** Known manager addresses (a manager not listed is dialled by PeerId alone). */
  readonly managers: readonly PeerRef[];
  /** The node's record at the verified head. */
  readonly node: () => NodeRecord | undefined;
  /** What the heartbeat reports: the log's length and its workload units. */
  readonly counts: () => { readonly served: bigint; readonly units: bigint };
  /** The servers of a Unity by id (its index servers); without it no index server hears from this node. */
  readonly unityServers?: (unity: string) => Promise<readonly PeerRef[]>;
  /** Until a manager names its interval (default 10 s). */
  readonly heartbeatMs?: number;
  /** Between looks while not registered (default 1 s). */
  readonly tickMs?: number;
  readonly logger?: NetLogger;
}

export class Heartbeats {
  readonly #o: HeartbeatsOptions;
  readonly #counted: number[] = [];
  #timer: ClockTimer | undefined;
  #beatMs: number;
  #indexBeats = 0;

  constructor(options: HeartbeatsOptions) {
    this.#o = options;
    this.#beatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  /** The intervals (indices on the manager's clock) managers counted a heartbeat in. */
  get counted(): readonly number[] {
    return this.#counted;
  }

  /** Beats the Unity's index servers took. */
  get indexBeats(): number {
    return this.#indexBeats;
  }

  start(): void {
    if (this.#timer === undefined) this.#schedule(0);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      void this.#beat().then((due) => {
        if (this.#timer === undefined) return;
        // Not registered yet: look again at the next tick. Else the middle of the next interval, so clock jitter
        // never puts two beats in one interval.
        const now = this.#o.clock.now();
        const at = (Math.floor(now / this.#beatMs) + 1) * this.#beatMs + this.#beatMs / 2;
        this.#schedule(due ? at - now : (this.#o.tickMs ?? 1_000));
      });
    }, ms);
  }

  /** One heartbeat round; false when none is due (not registered, or no longer). */
  async #beat(): Promise<boolean> {
    const node = this.#o.node();
    if (node === undefined || node.status === 'removed' || node.status === 'exited') return false;
    void this.#beatIndex(node);
    const keys = this.#o.managerKeys();
    const start = dutyIndex(this.#o.key, keys.length);
    const counts = this.#o.counts();
    for (let i = 0; i < keys.length; i++) {
      const id = peerIdOf(keys[(start + i) % keys.length]!);
      const peer = this.#o.managers.find((m) => m.id === id) ?? { id, addrs: [] };
      try {
        const reply = await sendHeartbeat(this.#o.rpc, peer, counts);
        this.#beatMs = reply.intervalMs;
        this.#counted.push(reply.counted);
        return true;
      } catch (error) {
        this.#o.logger?.debug({ err: error, manager: id }, 'heartbeat not taken');
      }
    }
    return true;
  }

  async #beatIndex(node: NodeRecord): Promise<void> {
    const find = this.#o.unityServers;
    if (find === undefined || node.status !== 'active' || node.role !== 'temporary' || node.unity === '') return;
    try {
      const beat = { unity: node.unity, addrs: this.#o.rpc.self.addrs };
      const servers = await find(node.unity);
      const sent = await Promise.allSettled(servers.map((server) => sendWorkerBeat(this.#o.rpc, server, beat, { timeoutMs: 5_000 })));
      this.#indexBeats += sent.filter((s) => s.status === 'fulfilled').length;
    } catch (error) {
      this.#o.logger?.debug({ err: error, unity: node.unity }, 'index servers not reached');
    }
  }
}
