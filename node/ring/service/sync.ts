/**
 * Pulling a Unity's pairs from its siblings (SPEC.md §5: a server that (re)starts downloads its Unity's pairs).
 * The same pull moves data after a split or merge and fills borrowed guests: whenever a server's range or its
 * Unity's membership changes, it pages through [start, end) on every server that may hold pairs of it — the
 * current siblings and the members of its previous view — and keeps each pair whose replica set names it. Pairs
 * are checked like any peer's bytes, and newer records win as on any write.
 */
import type { PeerRef, Rpc } from '../../net/types.ts';
import { keysEqual, type Key } from '../keyspace.ts';
import { replicaSet } from '../replicas.ts';
import { bodies, decodeBody, encodeBody, MAX_SYNC_PAGE, METHOD } from './protocol.ts';
import type { ReplicaStore } from './replica-store.ts';
import { decodeRingValue, type ValueSchemes } from './value.ts';
import type { UnityView } from './view.ts';

export interface SyncDeps {
  readonly rpc: Rpc;
  readonly store: ReplicaStore;
  readonly selfId: () => string;
  readonly timeoutMs: number;
  readonly onError?: (source: string, error: unknown) => void;
  /** The checked-value schemes pulled pairs are checked with (value.ts); none by default. */
  readonly schemes?: ValueSchemes;
}

export interface SyncReport {
  readonly sources: number;
  readonly failedSources: number;
  readonly received: number;
  readonly stored: number;
}

/** Pulls the pairs of `view`'s range that this server should hold from each source. */
export async function pullUnity(deps: SyncDeps, view: UnityView, sources: readonly PeerRef[]): Promise<SyncReport> {
  const self = deps.selfId();
  const unique = [...new Map(sources.filter((s) => s.id !== self).map((s) => [s.id, s])).values()];
  let received = 0;
  let stored = 0;
  let failedSources = 0;
  await Promise.all(
    unique.map(async (source) => {
      try {
        let after: Key | undefined;
        for (;;) {
          const reply = await deps.rpc.request(
            source,
            METHOD.sync,
            encodeBody(bodies.syncRequest, {
              epoch: view.epoch,
              start: view.unity.start,
              end: view.end,
              ...(after === undefined ? {} : { after }),
              limit: MAX_SYNC_PAGE,
            }),
            { timeoutMs: deps.timeoutMs },
          );
          const page = decodeBody(bodies.syncReply, reply, METHOD.sync);
          for (const { key, value } of page.pairs) {
            received++;
            if (!replicaSet(view.unity, key, view.params.replicas).some((s) => s.id === self)) continue;
            try {
              const outcome = await deps.store.accept(key, decodeRingValue(key, value, deps.schemes), value);
              if (outcome === 'stored') stored++;
            } catch (error) {
              deps.onError?.(source.id, error);
            }
          }
          const last = page.pairs.at(-1)?.key;
          if (!page.more || last === undefined || (after !== undefined && keysEqual(after, last))) break;
          after = last;
        }
      } catch (error) {
        failedSources++;
        deps.onError?.(source.id, error);
      }
    }),
  );
  return { sources: unique.length, failedSources, received, stored };
}

/** Serves one page of a sync: the pairs this server holds in [start, end) after `after`. */
export function servePage(store: ReplicaStore, start: Key, end: Key, after: Key | undefined, limit: number) {
  const pairs = store.page(start, end, after, limit + 1);
  const more = pairs.length > limit;
  return { pairs: pairs.slice(0, limit).map(([key, value]) => ({ key, value })), more };
}
