/**
 * The ring's RLDP methods and their bodies (canonical CBOR). Every request to a ring server names the epoch of
 * the map its sender routes by; a server at a newer epoch answers WRONG_EPOCH with its signed view.
 *
 *   ring/find         { epoch, key }                → the owner Unity's entry, from the counterpart (second hop)
 *   ring/get          { epoch, key }                → { value? }          coordinated read (majority + repair)
 *   ring/put          { epoch, key, value }         → { acks, replicas }  coordinated write (majority, durable)
 *   ring/replica-get  { epoch, key }                → { value? }          one replica's copy
 *   ring/replica-put  { epoch, key, value }         → { outcome }         one replica stores (durable) or refuses
 *   ring/sync         { epoch, start, end, after?, limit } → { pairs, more }  a page of pairs in [start, end)
 *   ring/view         { view }                      → {}  the authority pushes a signed view
 *   ring/view-get     {}                            → { views }  the caller's views (own Unity, hosted Unities)
 *   ring/join         { addrs, unity? }             → { views }  a new server asks the authority for a Unity (a
 *                     promoted temporary worker names its own)
 *   ring/report-down  { epoch, peer }               → {}  an index server reports a silent sibling
 *   ring/map-get      {}                            → { update }  the whole certified map (managers, operators)
 *   ring/slice        {}                            → { view }  a server's own signed view (operators, clients)
 *   ring/broadcast    { id, origin, topic, payload, stage } → {}  two-hop broadcast (broadcast.ts)
 */
import { encodeCbor, s, type Schema } from '../../wire/index.ts';
import { decodeWith, peerIdText, peerRefSchema } from '../codec.ts';
import { KEY_LENGTH } from '../keyspace.ts';
import { MAX_ADDR_LENGTH, MAX_ADDRS, MAX_SERVER_LIMIT, MAX_UNITIES, MAX_UNITY_ID_LENGTH } from '../map.ts';
import { MAX_RING_VALUE_SIZE } from './value.ts';
import { MAX_SIGNED_VIEW_SIZE } from './view.ts';

export const METHOD = {
  find: 'ring/find',
  get: 'ring/get',
  put: 'ring/put',
  replicaGet: 'ring/replica-get',
  replicaPut: 'ring/replica-put',
  sync: 'ring/sync',
  view: 'ring/view',
  viewGet: 'ring/view-get',
  join: 'ring/join',
  reportDown: 'ring/report-down',
  mapGet: 'ring/map-get',
  slice: 'ring/slice',
  broadcast: 'ring/broadcast',
} as const;

/** Pairs per sync page: bounded so a page stays far below RLDP's frame limit even with 1 MiB values. */
export const MAX_SYNC_PAGE = 256;
const MAX_BODY = 4 * 1024 * 1024;
const key = s.bytes({ len: KEY_LENGTH });
const value = s.bytes({ max: MAX_RING_VALUE_SIZE });
const signedView = s.bytes({ max: MAX_SIGNED_VIEW_SIZE });

export const bodies = {
  keyRequest: s.struct({ epoch: s.u64(), key }),
  putRequest: s.struct({ epoch: s.u64(), key, value }),
  valueReply: s.struct({ value: s.optional(value) }),
  putReply: s.struct({ acks: s.uint({ max: MAX_SERVER_LIMIT }), replicas: s.uint({ max: MAX_SERVER_LIMIT }) }),
  replicaPutReply: s.struct({ outcome: s.text({ max: 16 }) }),
  findReply: s.struct({
    epoch: s.u64(),
    index: s.uint({ max: MAX_UNITIES }),
    id: s.text({ min: 1, max: 3 * MAX_UNITY_ID_LENGTH }),
    servers: s.array(peerRefSchema, { max: MAX_SERVER_LIMIT }),
    /** True: this Unity owns the key; false: a counterpart to ask next. */
    final: s.bool(),
    /** The answering server's own Unity. */
    from: s.uint({ max: MAX_UNITIES }),
  }),
  syncRequest: s.struct({
    epoch: s.u64(),
    start: key,
    end: key,
    after: s.optional(key),
    limit: s.uint({ max: MAX_SYNC_PAGE }),
  }),
  syncReply: s.struct({ pairs: s.array(s.struct({ key, value }), { max: MAX_SYNC_PAGE }), more: s.bool() }),
  viewPush: s.struct({ view: signedView }),
  views: s.struct({ views: s.array(signedView, { max: 64 }) }),
  empty: s.struct({}),
  join: s.struct({ addrs: s.array(s.text({ min: 1, max: 3 * MAX_ADDR_LENGTH }), { max: MAX_ADDRS }), unity: s.optional(s.text({ max: 80 })) }),
  reportDown: s.struct({ epoch: s.u64(), peer: peerIdText }),
  mapReply: s.struct({ update: s.bytes({ max: 256 * 1024 * 1024 }) }),
  broadcast: s.struct({
    id: s.bytes({ len: 16 }),
    origin: peerIdText,
    topic: s.text({ min: 1, max: 64 }),
    payload: s.bytes({ max: 64 * 1024 }),
    stage: s.uint({ max: 3 }),
  }),
} as const;

/** Decodes a body; any failure is RingError MALFORMED naming the method. */
export function decodeBody<T>(schema: Schema<T>, bytes: Uint8Array, method: string): T {
  return decodeWith(bytes, schema, method, MAX_BODY);
}

export function encodeBody<T>(schema: Schema<T>, body: T): Uint8Array {
  // Check what we send with the same schema the receiver applies: a bug here shows up at the sender.
  const defined = Object.fromEntries(Object.entries(body as object).filter(([, v]) => v !== undefined));
  schema.parse(defined, 'body');
  return encodeCbor(defined as never);
}
