/**
 * PBFT baseline messages on the wire: deterministic CBOR (node/wire) with an exact schema per kind, as ACP's
 * codec. Decoding untrusted bytes throws ConsensusError BAD_MESSAGE and nothing else.
 */
import { encodeCbor, s, type Schema } from '../../wire/index.ts';
import { decodeBySchema, plain } from '../codec.ts';
import type { PbftMessage } from './types.ts';

const MAX_MESSAGE = 512 * 1024;
const MAX_MEMBERS = 4096;
const hash = s.bytes({ len: 32 });
const sig = s.bytes({ min: 1, max: 128 });
const index = s.uint({ max: MAX_MEMBERS - 1 });
const height = s.uint({ max: 2 ** 48 });
const view = s.uint({ max: 2 ** 32 - 2 });

const preprepare = s.struct({ kind: s.literal('preprepare'), height, view, from: index, valueHash: hash, sig });
const prepare = s.struct({ kind: s.literal('prepare'), height, view, from: index, id: hash, sig });
const commit = s.struct({ kind: s.literal('commit'), height, view, from: index, id: hash, sig });
const prepared = s.struct({ view, valueHash: hash, prepares: s.array(prepare, { max: MAX_MEMBERS }) });
const viewChange = s.struct({ kind: s.literal('view-change'), height, view, from: index, prepared: s.optional(prepared), sig });
const newView = s.struct({ kind: s.literal('new-view'), viewChanges: s.array(viewChange, { max: MAX_MEMBERS }), prePrepare: preprepare });
const decision = s.struct({ kind: s.literal('decision'), height, valueHash: hash, commits: s.array(commit, { max: MAX_MEMBERS }) });
const sync = s.struct({ kind: s.literal('sync'), from: index, height });

const schemas: Readonly<Record<PbftMessage['kind'], Schema<unknown>>> = {
  preprepare,
  prepare,
  commit,
  'view-change': viewChange,
  'new-view': newView,
  decision,
  sync,
};

export function encodePbftMessage(m: PbftMessage): Uint8Array {
  return encodeCbor(plain(m));
}

export function decodePbftMessage(bytes: Uint8Array): PbftMessage {
  return decodeBySchema<PbftMessage>(bytes, schemas, 'PBFT', MAX_MESSAGE);
}
