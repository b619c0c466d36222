/**
 * GET /api/ring/map (docs/explorer.md "Network page"): the full ring map of the ring authority, when the process
 * that runs the explorer has one (`ame up` passes `authority.map()`). The ledger holds only the map's epoch and
 * root (GET /api/ring); without a provider this endpoint is NOT_AVAILABLE (404).
 */
import { ed25519KeyFromPeerId, toHex } from '../../crypto/index.ts';
import { groupSize, type RingMap } from '../../ring/index.ts';
import type { PeerRef } from '../../net/index.ts';
import { ExplorerError } from './errors.ts';
import type { Json } from './json.ts';

/** The current ring map, or undefined while none is known. */
export type RingMapProvider = () => RingMap | undefined;

/** Keys of PeerIds seen, so a poll every second does not re-decode every server's PeerId. */
const keyCache = new Map<string, string | null>();
const KEY_CACHE_MAX = 16_384;

/** The Ed25519 key (hex) inside an Ed25519 PeerId — the key of its node record — or null for any other text. */
function nodeKeyOf(peerId: string): string | null {
  const cached = keyCache.get(peerId);
  if (cached !== undefined) return cached;
  let key: string | null;
  try {
    key = toHex(ed25519KeyFromPeerId(peerId));
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(peerId, key);
  return key;
}

function peerView(peer: PeerRef): Json {
  return { id: peer.id, key: nodeKeyOf(peer.id), addrs: [...peer.addrs] };
}

/**
 * `{epoch, params, unityCount, groupSize, unities: [{index, id, start, group, servers: [{id, key, addrs}],
 * guests: [{id, key, addrs}], workers: [{id, key}]}]}`: Unities in ring order, `group` = ⌊index / g⌋ with
 * g = ⌈√N⌉ (SPEC §5), `key` the node key (hex) of an Ed25519 PeerId so a page can join the map with /api/nodes.
 */
export function ringMapView(map: RingMap): Json {
  const g = groupSize(map.unities.length);
  return {
    epoch: map.epoch.toString(),
    params: { ...map.params },
    unityCount: map.unities.length,
    groupSize: g,
    unities: map.unities.map((unity, index) => ({
      index,
      id: unity.id,
      start: toHex(unity.start),
      group: Math.floor(index / g),
      servers: unity.servers.map(peerView),
      guests: unity.guests.map(peerView),
      workers: unity.workers.map((id) => ({ id, key: nodeKeyOf(id) })),
    })),
  };
}

/** The answer of GET /api/ring/map: NOT_AVAILABLE without a provider or while it knows no map. */
export function ringMapRoute(provider: RingMapProvider | undefined): Json {
  if (provider === undefined) {
    throw new ExplorerError('NOT_AVAILABLE', 'this explorer serves no ring map (only its epoch and root: GET /api/ring)');
  }
  const map = provider();
  if (map === undefined) throw new ExplorerError('NOT_AVAILABLE', 'the ring map is not known yet');
  return ringMapView(map);
}
