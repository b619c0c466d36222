/**
 * PBFT baseline messages on the wire: deterministic CBOR (node/wire) with an exact schema per kind, as ACP's
 * codec. Decoding untrusted bytes throws ConsensusError BAD_MESSAGE and nothing else.
 */
import { encodeCbor, s, type Schema } from '../../wire/index.ts';
import { decodeBySchema, plain } from '../codec.ts';
import type { MessageCodec } from '../reactor.ts';
import type { PbftMessage } from './types.ts';

/** The RLDP method of the baseline's messages over the consensus reactor: one `encodePbftMessage` per request. */
export const PBFT_METHOD = 'pbft/msg';

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

/**
 * The member a message says it comes from, for the reactor's caller check: the signer of a signed message, the
 * leader of a new-view (only the leader sends its own), the asker of a sync; a decision names none (its commit
 * certificate speaks for itself and any member may forward it).
 */
export function pbftSender(m: PbftMessage): number | undefined {
  switch (m.kind) {
    case 'new-view':
      return m.prePrepare.from;
    case 'decision':
      return undefined;
    default:
      return m.from;
  }
}

export const PBFT_CODEC: MessageCodec<PbftMessage> = {
  method: PBFT_METHOD,
  encode: encodePbftMessage,
  decode: decodePbftMessage,
  sender: pbftSender,
};
