/**
 * The Worker Ring as a node without a ring server reaches it (a temporary worker on a device): lookups routed from
 * entry servers (≤ 2 hops past them, docs/ring.md), views checked against the managers. It gives the worker the
 * ring as a part store (blob replication) and the servers of its Unity (the index servers it beats to).
 */
import type { PeerRef, Rpc } from '../net/index.ts';
import { type CertifiersLike, unityStartOf } from '../ring/index.ts';
import { RingClient } from '../ring/service/client.ts';
import { Router } from '../ring/service/router.ts';
import { WorkerError } from './errors.ts';
import { type PartStore, ringPartStore } from './replication/part-store.ts';

export interface RingEntryOptions {
  readonly rpc: Rpc;
  /** Ring servers to route from. */
  readonly entry: readonly PeerRef[];
  /** Who certifies the ring's views (a fresh view in a WRONG_EPOCH reply must carry it): the ledger's managers. */
  readonly authority: CertifiersLike;
  readonly timeoutMs?: number;
}

export interface RingEntry {
  readonly parts: PartStore;
  /** The servers of Unity `unity` (its id, `u-<hex of its start>`): the Unity that owns its start key. */
  unityServers(unity: string): Promise<readonly PeerRef[]>;
}

export function ringEntry(options: RingEntryOptions): RingEntry {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const router = new Router({ rpc: options.rpc, authority: options.authority, entry: () => options.entry, timeoutMs });
  return {
    parts: ringPartStore(new RingClient({ rpc: options.rpc, router, timeoutMs })),
    async unityServers(unity) {
      const start = unityStartOf(unity);
      if (start === undefined) throw new WorkerError('BAD_VALUE', `${JSON.stringify(unity)} is not a Unity id`, { field: 'unity' });
      return (await router.locate(start)).servers;
    },
  };
}
