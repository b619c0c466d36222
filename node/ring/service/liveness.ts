/**
 * Who of a Unity is alive, as its index servers see it (SPEC.md §5 Liveness): every server and temporary worker
 * sends a heartbeat every `heartbeatMs`; a node silent for `downAfterMs` is down. A node counts from the moment
 * it is tracked, so a server that joins is not down before it had the chance to send its first heartbeat.
 * Heartbeat counts per node feed the uptime the managers record (share of intervals seen).
 */
import type { Clock } from '../../net/types.ts';

export interface LivenessOptions {
  readonly clock: Clock;
  readonly downAfterMs: number;
}

export interface NodeUptime {
  readonly heartbeats: number;
  /** Milliseconds since the node was first tracked. */
  readonly trackedMs: number;
}

export class HeartbeatMonitor {
  private readonly clock: Clock;
  private downAfterMs: number;
  private readonly lastSeen = new Map<string, number>();
  private readonly since = new Map<string, number>();
  private readonly beats = new Map<string, number>();

  constructor(options: LivenessOptions) {
    this.clock = options.clock;
    this.downAfterMs = options.downAfterMs;
  }

  /** The silence that marks a node down; it follows the map parameters of the current view. */
  setDownAfter(ms: number): void {
    this.downAfterMs = ms;
  }

  /** Sets the nodes to watch; nodes no longer listed are forgotten, new ones start their grace period now. */
  track(peers: Iterable<string>): void {
    const now = this.clock.now();
    const keep = new Set(peers);
    for (const peer of [...this.since.keys()]) {
      if (!keep.has(peer)) {
        this.since.delete(peer);
        this.lastSeen.delete(peer);
        this.beats.delete(peer);
      }
    }
    for (const peer of keep) if (!this.since.has(peer)) this.since.set(peer, now);
  }

  /** Records a heartbeat; heartbeats of untracked nodes are ignored (they are not of this Unity). */
  seen(peer: string): void {
    if (!this.since.has(peer)) return;
    this.lastSeen.set(peer, this.clock.now());
    this.beats.set(peer, (this.beats.get(peer) ?? 0) + 1);
  }

  isDown(peer: string): boolean {
    const start = this.since.get(peer);
    if (start === undefined) return false;
    return this.clock.now() - (this.lastSeen.get(peer) ?? start) >= this.downAfterMs;
  }

  /** Tracked nodes silent for downAfterMs or longer, in id order. */
  down(): string[] {
    return [...this.since.keys()].filter((peer) => this.isDown(peer)).sort();
  }

  uptime(peer: string): NodeUptime | undefined {
    const start = this.since.get(peer);
    if (start === undefined) return undefined;
    return { heartbeats: this.beats.get(peer) ?? 0, trackedMs: this.clock.now() - start };
  }
}
