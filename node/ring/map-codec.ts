/**
 * Deterministic encoding of the ring map (canonical CBOR through node/wire's schemas) and its root, the SHA-256
 * of that encoding: the value a map certificate signs and a ledger block will commit to.
 *
 *   { epoch, params: { serverLimit, minServers, replicas, heartbeatMs, downAfterMs },
 *     unities: [{ id, start, servers: [{ id, addrs }], guests: [{ id, addrs }], workers: [PeerId] }] }
 *
 * A full map at the whitepaper's upper bound (32,768 Unities of 32 servers) is about 100 MiB, hence the size
 * limit far above RLDP's 4 MiB: whole maps are for managers; servers receive slices (slice.ts).
 */
import { sha256 } from '../crypto/index.ts';
import { encodeCbor, s } from '../wire/index.ts';
import { decodeWith, peerIdText, peerRefSchema, peerRefToCbor, ringParamsSchema, ringParamsToCbor } from './codec.ts';
import { KEY_LENGTH } from './keyspace.ts';
import {
  MAX_SERVER_LIMIT,
  MAX_UNITIES,
  MAX_UNITY_ID_LENGTH,
  MAX_WORKERS_PER_UNITY,
  validateMap,
  type RingMap,
} from './map.ts';

export const DEFAULT_MAP_MAX_SIZE = 256 * 1024 * 1024;

const unitySchema = s.struct({
  id: s.text({ min: 1, max: 3 * MAX_UNITY_ID_LENGTH }),
  start: s.bytes({ len: KEY_LENGTH }),
  servers: s.array(peerRefSchema, { max: MAX_SERVER_LIMIT }),
  guests: s.array(peerRefSchema, { max: MAX_SERVER_LIMIT }),
  workers: s.array(peerIdText, { max: MAX_WORKERS_PER_UNITY }),
});

const mapSchema = s.struct({
  epoch: s.u64(),
  params: ringParamsSchema,
  unities: s.array(unitySchema, { min: 1, max: MAX_UNITIES }),
});

/** Canonical CBOR of a valid map (BAD_MAP if it is not). */
export function encodeRingMap(map: RingMap): Uint8Array {
  validateMap(map);
  return encodeCbor({
    epoch: map.epoch,
    params: ringParamsToCbor(map.params),
    unities: map.unities.map((unity) => ({
      id: unity.id,
      start: unity.start,
      servers: unity.servers.map(peerRefToCbor),
      guests: unity.guests.map(peerRefToCbor),
      workers: [...unity.workers],
    })),
  });
}

/** Inverse of encodeRingMap: MALFORMED for bytes that are not a canonical map encoding, BAD_MAP for an invalid map. */
export function decodeRingMap(bytes: Uint8Array, options: { readonly maxSize?: number } = {}): RingMap {
  return validateMap(decodeWith(bytes, mapSchema, 'map', options.maxSize ?? DEFAULT_MAP_MAX_SIZE));
}

/** SHA-256 of the canonical encoding. */
export function mapRoot(map: RingMap): Uint8Array {
  return sha256(encodeRingMap(map));
}
