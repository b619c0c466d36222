/**
 * ACP messages on the wire: deterministic CBOR (node/wire) with an exact schema per kind. Decoding untrusted
 * bytes throws ConsensusError BAD_MESSAGE and nothing else; signatures are checked later by the state machine,
 * against the committee of the message's round.
 */
import { decodeCbor, encodeCbor, s, type CborValue, type Schema } from '../wire/index.ts';
import { ConsensusError } from './errors.ts';
import type { AcpMessage } from './types.ts';

const MAX_MESSAGE = 256 * 1024;
const MAX_MEMBERS = 4096;
const hash = s.bytes({ len: 32 });
const sig = s.bytes({ min: 1, max: 128 });
const proof = s.bytes({ min: 1, max: 128 });
const index = s.uint({ max: MAX_MEMBERS - 1 });
const height = s.uint({ max: 2 ** 48 });

const proposal = s.struct({
  kind: s.literal('proposal'),
  height,
  from: index,
  prev: hash,
  valueHash: hash,
  size: s.uint({ max: 2 ** 40 }),
  vrfProof: proof,
  sig,
});
const vote = s.struct({
  kind: s.literal('vote'),
  step: s.uint({ max: 2 }),
  height,
  from: index,
  id: hash,
  cred: s.optional(proof),
  sig,
});
const preprepare = s.struct({
  kind: s.literal('preprepare'),
  height,
  from: index,
  prev: hash,
  id: hash,
  proposal: s.optional(proposal),
  cred: s.optional(proof),
  sig,
});
const prepare = s.struct({ kind: s.literal('prepare'), height, from: index, leader: index, id: hash, cred: s.optional(proof), sig });
const commit = s.struct({ kind: s.literal('commit'), height, from: index, id: hash, cred: s.optional(proof), sig });
const evidence = s.struct({
  height,
  prev: hash,
  proposal: s.optional(proposal),
  prepares: s.optional(s.array(prepare, { max: MAX_MEMBERS })),
  commits: s.optional(s.array(commit, { max: MAX_MEMBERS })),
});
const decision = s.struct({ kind: s.literal('decision'), block: evidence });
const status = s.struct({ kind: s.literal('status'), from: index, blocks: s.array(evidence, { max: 64 }) });
const sync = s.struct({ kind: s.literal('sync'), from: index, height });
const checkpoint = s.struct({
  kind: s.literal('checkpoint'),
  from: index,
  height,
  base: s.optional(proposal),
  seed: s.optional(hash),
  commits: s.array(commit, { min: 1, max: MAX_MEMBERS }),
});

const schemas: Readonly<Record<AcpMessage['kind'], Schema<unknown>>> = {
  proposal,
  vote,
  preprepare,
  prepare,
  commit,
  decision,
  status,
  sync,
  checkpoint,
};

/** Drops undefined optional fields: the CBOR data model has no undefined. */
export function plain(value: unknown): CborValue {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value as CborValue;
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, CborValue> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
  return out;
}

export function encodeAcpMessage(m: AcpMessage): Uint8Array {
  return encodeCbor(plain(m));
}

export function decodeAcpMessage(bytes: Uint8Array): AcpMessage {
  const parsed = decodeBySchema<AcpMessage>(bytes, schemas, 'ACP', MAX_MESSAGE);
  if (parsed.kind === 'vote' && parsed.step !== 1 && parsed.step !== 2) {
    throw new ConsensusError('BAD_MESSAGE', 'vote.step: expected 1 or 2');
  }
  if (parsed.kind === 'checkpoint' && (parsed.base === undefined) !== (parsed.seed === undefined)) {
    throw new ConsensusError('BAD_MESSAGE', 'checkpoint: base and seed come together');
  }
  return parsed;
}

/** Decodes one message by the schema its `kind` names; anything wrong is ConsensusError BAD_MESSAGE. */
export function decodeBySchema<M extends { readonly kind: string }>(
  bytes: Uint8Array,
  kinds: Readonly<Record<M['kind'], Schema<unknown>>>,
  what: string,
  maxSize: number,
): M {
  try {
    const value = decodeCbor(bytes, { maxSize });
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(kinds, kind)) {
      throw new ConsensusError('BAD_MESSAGE', `unknown ${what} message kind`);
    }
    return (kinds[kind as M['kind']] as Schema<unknown>).parse(value, kind) as M;
  } catch (cause) {
    if (cause instanceof ConsensusError) throw cause;
    throw new ConsensusError('BAD_MESSAGE', `bad ${what} message: ${(cause as Error).message}`, { cause });
  }
}
