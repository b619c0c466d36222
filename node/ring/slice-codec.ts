/**
 * Deterministic encoding of routing slices; they travel in WRONG_EPOCH replies (NetError data) and in slice
 * pushes, so decoding refuses anything but a canonical, complete slice.
 *
 *   { epoch, n, g, index, entries: [{ index, id, start, servers: [{ id, addrs }] }] }
 */
import { DEFAULT_MAX_SIZE, encodeCbor, s } from '../wire/index.ts';
import { KEY_LENGTH } from './keyspace.ts';
import { decodeWith, peerRefSchema, peerRefToCbor } from './codec.ts';
import { MAX_SERVER_LIMIT, MAX_UNITIES, MAX_UNITY_ID_LENGTH } from './map.ts';
import { validateSlice, type RoutingSlice } from './slice.ts';

const entrySchema = s.struct({
  index: s.uint({ max: MAX_UNITIES }),
  id: s.text({ min: 1, max: 3 * MAX_UNITY_ID_LENGTH }),
  start: s.bytes({ len: KEY_LENGTH }),
  servers: s.array(peerRefSchema, { max: MAX_SERVER_LIMIT }),
});

const sliceSchema = s.struct({
  epoch: s.u64(),
  n: s.uint({ max: MAX_UNITIES }),
  g: s.uint({ max: MAX_UNITIES }),
  index: s.uint({ max: MAX_UNITIES }),
  // 2√N + 1 entries at most; 2√MAX_UNITIES + 1 = 2049.
  entries: s.array(entrySchema, { min: 1, max: 2 * Math.ceil(Math.sqrt(MAX_UNITIES)) + 1 }),
});

export function encodeSlice(slice: RoutingSlice): Uint8Array {
  validateSlice(slice);
  return encodeCbor({
    epoch: slice.epoch,
    n: slice.n,
    g: slice.g,
    index: slice.index,
    entries: slice.entries.map((entry) => ({
      index: entry.index,
      id: entry.id,
      start: entry.start,
      servers: entry.servers.map(peerRefToCbor),
    })),
  });
}

/** MALFORMED for bytes that are not a canonical slice encoding, BAD_SLICE for an incomplete or disordered slice. */
export function decodeSlice(bytes: Uint8Array, options: { readonly maxSize?: number } = {}): RoutingSlice {
  return validateSlice(decodeWith(bytes, sliceSchema, 'slice', options.maxSize ?? DEFAULT_MAX_SIZE));
}
