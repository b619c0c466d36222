/**
 * The ring map (SPEC.md §5): Unities U0..U(N−1) in ring order, each owning the keys from its start to the next
 * Unity's start (the last range wraps to 0), with its servers, the guests it borrowed while small and the
 * temporary workers attached to it. A map is versioned by its epoch; every change makes a new map at a higher
 * epoch (transitions.ts), and every map anyone builds or decodes passes validateMap.
 */
import type { PeerRef } from '../net/types.ts';
import { RingError } from './errors.ts';
import { compareKeys, isKey, keyFromHex, keyToHex, ZERO_KEY, type Key } from './keyspace.ts';

/** A Unity server as the map names it: its PeerId and the multiaddrs it is dialled on. */
export type ServerEntry = PeerRef;

export interface RingParams {
  /** A Unity that reaches this many servers splits (§1.2.3: 32). */
  readonly serverLimit: number;
  /** A Unity that stays below this many servers for an epoch merges with its smaller neighbour (6). */
  readonly minServers: number;
  /** Copies of each value (§1.1.2: 5); a Unity with fewer servers borrows guests up to this count. */
  readonly replicas: number;
  /** Heartbeat period of servers and temporary workers, ms. */
  readonly heartbeatMs: number;
  /** Silence after which a node is marked down, ms. */
  readonly downAfterMs: number;
}

export const DEFAULT_RING_PARAMS: RingParams = {
  serverLimit: 32,
  minServers: 6,
  replicas: 5,
  heartbeatMs: 10_000,
  downAfterMs: 60_000,
};

export interface Unity {
  /** Stable across epochs: a Unity keeps its id until it is merged away. */
  readonly id: string;
  /** First key of its range (inclusive). */
  readonly start: Key;
  readonly servers: readonly ServerEntry[];
  /** Servers of other Unities holding this Unity's replicas while it has fewer servers than the replica count. */
  readonly guests: readonly ServerEntry[];
  /** PeerIds of the temporary workers attached to it. */
  readonly workers: readonly string[];
}

export interface RingMap {
  readonly epoch: bigint;
  readonly params: RingParams;
  readonly unities: readonly Unity[];
}

// Bounds that keep a decoded map's size proportional to its bytes; far above what the protocol reaches
// (the whitepaper's upper bound is 32,768 Unities of ≤ 32 servers).
export const MAX_UNITIES = 1 << 20;
export const MAX_SERVER_LIMIT = 1024;
export const MAX_WORKERS_PER_UNITY = 4096;
export const MAX_PEER_ID_LENGTH = 128;
export const MAX_ADDRS = 16;
export const MAX_ADDR_LENGTH = 256;
export const MAX_UNITY_ID_LENGTH = 80;
const MAX_EPOCH = (1n << 64n) - 1n;
const MAX_MS = 7 * 24 * 3600 * 1000;

/** The id a Unity gets when it is created: from its start, so it is unique among live Unities. */
export function unityIdFor(start: Key): string {
  return `u-${keyToHex(start)}`;
}

/** The start key a Unity id was made from (`unityIdFor`'s inverse); undefined for text that is no Unity id. */
export function unityStartOf(id: string): Key | undefined {
  const hex = /^u-([0-9a-f]{64})$/.exec(id)?.[1];
  return hex === undefined ? undefined : keyFromHex(hex);
}

function bad(path: string, why: string): never {
  throw new RingError('BAD_MAP', `${path}: ${why}`);
}

function checkInt(value: unknown, path: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    bad(path, `must be an integer in ${min}…${max}`);
  }
}

export function validateParams(params: RingParams, path = 'params'): void {
  checkInt(params.serverLimit, `${path}.serverLimit`, 2, MAX_SERVER_LIMIT);
  checkInt(params.minServers, `${path}.minServers`, 1, params.serverLimit);
  checkInt(params.replicas, `${path}.replicas`, 1, params.serverLimit);
  checkInt(params.heartbeatMs, `${path}.heartbeatMs`, 1, MAX_MS);
  checkInt(params.downAfterMs, `${path}.downAfterMs`, params.heartbeatMs, MAX_MS);
}

export function validatePeerRef(entry: ServerEntry, path: string, fail = bad): void {
  if (typeof entry?.id !== 'string' || entry.id.length === 0 || entry.id.length > MAX_PEER_ID_LENGTH) {
    fail(`${path}.id`, `must be a PeerId of 1…${MAX_PEER_ID_LENGTH} characters`);
  }
  if (!Array.isArray(entry.addrs) || entry.addrs.length > MAX_ADDRS) {
    fail(`${path}.addrs`, `must be a list of at most ${MAX_ADDRS} multiaddrs`);
  }
  for (const [i, addr] of entry.addrs.entries()) {
    if (typeof addr !== 'string' || addr.length === 0 || addr.length > MAX_ADDR_LENGTH) {
      fail(`${path}.addrs[${i}]`, `must be a multiaddr of 1…${MAX_ADDR_LENGTH} characters`);
    }
  }
}

/**
 * Throws BAD_MAP naming the first broken rule: the first start is 0 and starts strictly increase (so the ranges
 * cover the key space exactly once), Unity ids are unique, every Unity has 1…serverLimit servers, no server is in
 * two Unities, a guest is a server of another Unity and at most `replicas` are borrowed, workers are unique.
 * Returns the map for chaining.
 */
export function validateMap(map: RingMap): RingMap {
  if (typeof map.epoch !== 'bigint' || map.epoch < 0n || map.epoch > MAX_EPOCH) bad('epoch', 'must be a u64');
  validateParams(map.params);
  const { unities } = map;
  if (!Array.isArray(unities) || unities.length === 0 || unities.length > MAX_UNITIES) {
    bad('unities', `must hold 1…${MAX_UNITIES} Unities`);
  }
  const home = new Map<string, number>();
  const unityIds = new Set<string>();
  const workers = new Set<string>();
  for (const [u, unity] of unities.entries()) {
    const path = `unities[${u}]`;
    if (typeof unity.id !== 'string' || unity.id.length === 0 || unity.id.length > MAX_UNITY_ID_LENGTH) {
      bad(`${path}.id`, `must be 1…${MAX_UNITY_ID_LENGTH} characters`);
    }
    if (unityIds.has(unity.id)) bad(`${path}.id`, `${unity.id} is the id of an earlier Unity`);
    unityIds.add(unity.id);
    if (!isKey(unity.start)) bad(`${path}.start`, 'must be 32 bytes');
    if (u === 0 && compareKeys(unity.start, ZERO_KEY) !== 0) bad(`${path}.start`, 'the first Unity must start at 0');
    if (u > 0 && compareKeys(unities[u - 1]!.start, unity.start) >= 0) {
      bad(`${path}.start`, 'starts must strictly increase in ring order');
    }
    if (unity.servers.length < 1 || unity.servers.length > map.params.serverLimit) {
      bad(`${path}.servers`, `a Unity holds 1…${map.params.serverLimit} servers, got ${unity.servers.length}`);
    }
    for (const [i, server] of unity.servers.entries()) {
      validatePeerRef(server, `${path}.servers[${i}]`);
      const other = home.get(server.id);
      if (other !== undefined) bad(`${path}.servers[${i}]`, `${server.id} is already a server of Unity ${other}`);
      home.set(server.id, u);
    }
    if (unity.workers.length > MAX_WORKERS_PER_UNITY) bad(`${path}.workers`, `more than ${MAX_WORKERS_PER_UNITY}`);
    for (const [i, worker] of unity.workers.entries()) {
      if (typeof worker !== 'string' || worker.length === 0 || worker.length > MAX_PEER_ID_LENGTH) {
        bad(`${path}.workers[${i}]`, `must be a PeerId of 1…${MAX_PEER_ID_LENGTH} characters`);
      }
      if (workers.has(worker)) bad(`${path}.workers[${i}]`, `${worker} is attached twice`);
      workers.add(worker);
    }
  }
  for (const [u, unity] of unities.entries()) checkGuests(unity, u, map.params.replicas, home);
  for (const worker of workers) if (home.has(worker)) bad('workers', `${worker} is both a server and a worker`);
  return map;
}

function checkGuests(unity: Unity, u: number, replicas: number, home: ReadonlyMap<string, number>): void {
  const path = `unities[${u}].guests`;
  if (unity.guests.length > replicas) bad(path, `at most ${replicas} guests (the replica count)`);
  const seen = new Set<string>();
  for (const [i, guest] of unity.guests.entries()) {
    validatePeerRef(guest, `${path}[${i}]`);
    const from = home.get(guest.id);
    if (from === undefined) bad(`${path}[${i}]`, `${guest.id} is not a server of any Unity`);
    if (from === u) bad(`${path}[${i}]`, `${guest.id} is a server of this Unity, not a guest`);
    if (seen.has(guest.id)) bad(`${path}[${i}]`, `${guest.id} is borrowed twice`);
    seen.add(guest.id);
  }
}

/** Index of the Unity that holds `serverId` as a server, or −1. */
export function unityOfServer(map: RingMap, serverId: string): number {
  return map.unities.findIndex((unity) => unity.servers.some((server) => server.id === serverId));
}

/** Index of the Unity with this id; UNKNOWN_UNITY if there is none. */
export function unityIndexById(map: RingMap, id: string): number {
  const index = map.unities.findIndex((unity) => unity.id === id);
  if (index < 0) throw new RingError('UNKNOWN_UNITY', `no Unity ${id} in the map of epoch ${map.epoch}`);
  return index;
}

/** UNKNOWN_UNITY unless 0 ≤ index < N. */
export function checkUnityIndex(map: RingMap, index: number): Unity {
  const unity = Number.isSafeInteger(index) ? map.unities[index] : undefined;
  if (unity === undefined) {
    throw new RingError('UNKNOWN_UNITY', `Unity index ${index} is outside 0…${map.unities.length - 1}`);
  }
  return unity;
}
