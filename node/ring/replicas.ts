/**
 * Replica placement (SPEC.md §5): a value lives on min(replicas, servers) servers of its Unity, chosen by
 * rendezvous (highest-random-weight) hashing: each server's weight for a key is SHA-256(serverId ‖ key) and the
 * heaviest win. A server that joins takes over only the keys where it outweighs the current last replica, and
 * one that leaves hands over only its own keys, so churn moves about 1/servers of the data per change.
 *
 * A Unity with fewer servers than the replica count fills the set with its guests (borrowed neighbour servers),
 * ranked the same way, after all of its own servers.
 */
import { concatBytes, sha256, utf8 } from '../crypto/index.ts';
import { RingError } from './errors.ts';
import { assertKey, compareKeys, type Key } from './keyspace.ts';
import { unityOfKey } from './locate.ts';
import type { RingMap, ServerEntry, Unity } from './map.ts';

/** SHA-256(UTF-8 server id ‖ key); the key has a fixed length, so the concatenation is unambiguous. */
export function rendezvousWeight(serverId: string, key: Key): Uint8Array {
  return sha256(concatBytes(utf8(serverId), key));
}

/** Servers by weight for `key`, heaviest first (ties, which SHA-256 makes theoretical, by id). */
export function rankServers(servers: readonly ServerEntry[], key: Key): ServerEntry[] {
  assertKey(key);
  return servers
    .map((server) => ({ server, weight: rendezvousWeight(server.id, key) }))
    .sort((a, b) => compareKeys(b.weight, a.weight) || (a.server.id < b.server.id ? -1 : 1))
    .map(({ server }) => server);
}

/** The servers holding `key` in `unity`, most preferred first: its own servers, then guests if it is short. */
export function replicaSet(unity: Unity, key: Key, replicas: number): ServerEntry[] {
  if (!Number.isSafeInteger(replicas) || replicas < 1) {
    throw new RingError('BAD_MAP', `the replica count must be a positive integer, got ${replicas}`);
  }
  const own = rankServers(unity.servers, key).slice(0, replicas);
  if (own.length === replicas || unity.guests.length === 0) return own;
  return [...own, ...rankServers(unity.guests, key).slice(0, replicas - own.length)];
}

/** The owning Unity of `key` in `map` and its replica set. */
export function replicasOfKey(map: RingMap, key: Key): { readonly unity: number; readonly servers: ServerEntry[] } {
  const unity = unityOfKey(map, key);
  return { unity, servers: replicaSet(map.unities[unity]!, key, map.params.replicas) };
}

/** Acknowledgements a write needs: a majority of its n replicas (3 of 5). */
export function writeQuorum(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RingError('BAD_MAP', `a replica set has at least one server, got ${n}`);
  }
  return Math.floor(n / 2) + 1;
}

/** Answers a read needs: the same majority, so every read quorum meets every write quorum. */
export const readQuorum = writeQuorum;
