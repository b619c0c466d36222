/**
 * Two-hop broadcast (SPEC.md §5, whitepaper Fig 1.5): the origin sends to one server of every Unity of its own
 * group and to one server of each counterpart; a counterpart forwards into its own group. The counterparts'
 * groups and the origin's tile the ring, so every Unity hears it after two hops, and every server that hears it
 * tells its siblings. Ids are remembered (bounded) so a message is delivered once per server.
 *
 *   stage 1: to a counterpart — deliver, tell siblings, forward stage 2 into its group
 *   stage 2: to a group member — deliver, tell siblings
 *   stage 3: to a sibling — deliver
 */
import type { PeerRef, Random, Rpc } from '../../net/types.ts';
import { unityDistance } from '../groups.ts';
import type { SliceEntry } from '../slice.ts';
import { bodies, encodeBody, METHOD } from './protocol.ts';
import type { UnityView } from './view.ts';

export type BroadcastHandler = (payload: Uint8Array, origin: string) => void;

export interface BroadcastDeps {
  readonly rpc: Rpc;
  readonly random: Random;
  readonly selfId: () => string;
  readonly view: () => UnityView | undefined;
  readonly timeoutMs: number;
  readonly onError?: (error: unknown) => void;
}

const REMEMBERED = 4096;

export class Broadcaster {
  private readonly deps: BroadcastDeps;
  private readonly seen = new Set<string>();
  private readonly handlers = new Map<string, BroadcastHandler>();

  constructor(deps: BroadcastDeps) {
    this.deps = deps;
  }

  on(topic: string, handler: BroadcastHandler): void {
    this.handlers.set(topic, handler);
  }

  /** Starts a broadcast from this server; returns its id. */
  send(topic: string, payload: Uint8Array): Uint8Array {
    const id = this.deps.random.bytes(16);
    this.receive({ id, origin: this.deps.selfId(), topic, payload, stage: 0 });
    return id;
  }

  /** Handles a broadcast message (stage 0 is the origin itself). */
  receive(message: { id: Uint8Array; origin: string; topic: string; payload: Uint8Array; stage: number }): void {
    const key = Buffer.from(message.id).toString('hex');
    if (this.seen.has(key)) return;
    this.remember(key);
    this.handlers.get(message.topic)?.(message.payload, message.origin);
    const view = this.deps.view();
    if (view === undefined || message.stage === 3) return;
    const self = this.deps.selfId();
    const forward = (to: readonly PeerRef[], stage: number) => this.forward(to, { ...message, stage });
    for (const sibling of [...view.unity.servers, ...view.unity.guests]) if (sibling.id !== self) forward([sibling], 3);
    const { slice } = view;
    const others = slice.entries.filter((e: SliceEntry) => e.index !== slice.index);
    const group = others.filter((e) => unityDistance(slice.index, e.index, slice.n) < slice.g);
    if (message.stage === 0) {
      for (const entry of group) forward(entry.servers, 2);
      for (const entry of others) if (!group.includes(entry)) forward(entry.servers, 1);
    } else if (message.stage === 1) {
      for (const entry of group) forward(entry.servers, 2);
    }
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value!);
  }

  /** To the first server of the list that takes it, starting at a random one so load spreads. */
  private forward(servers: readonly PeerRef[], message: { id: Uint8Array; origin: string; topic: string; payload: Uint8Array; stage: number }): void {
    if (servers.length === 0) return;
    const start = Math.floor(this.deps.random.next() * servers.length);
    const body = encodeBody(bodies.broadcast, message);
    const attempt = async () => {
      let last: unknown;
      for (let i = 0; i < servers.length; i++) {
        try {
          await this.deps.rpc.request(servers[(start + i) % servers.length]!, METHOD.broadcast, body, {
            timeoutMs: this.deps.timeoutMs,
          });
          return;
        } catch (error) {
          last = error;
        }
      }
      this.deps.onError?.(last);
    };
    void attempt();
  }
}
