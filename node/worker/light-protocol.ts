/**
 * The light-client methods a manager serves (node/manager/light-rpc.ts) and a light client calls
 * (ledger-view.ts), with their bodies in canonical CBOR (node/wire). The format lives here, below node/manager,
 * because node/worker may not import node/manager (SPEC §2 layering) while node/manager may import node/worker.
 *
 *   manager/headers {from, limit}     → {head, headers: [{header, certificate, managers, txs?}]}
 *   manager/state   {paths, height?}  → {height, hash, records: [{path, value?, proof}]}
 *
 * `manager/headers`: the final blocks from height `from` on (at most `limit` ≤ 64, and about 8 MiB), each as what
 * `LightClient.follow` takes: the encoded header (`header`, cbor of the header map), its certificate, a proof of
 * `meta/managers` at the block's state (`managers`), and — only for a block that changed the manager set, where a
 * recovery certificate needs them — its encoded transactions (`txs`). The list stops before the first block whose
 * certificate the manager does not hold yet; `head` is the manager's last final height.
 *
 * `manager/state`: for each of up to 64 state paths (`account/<address>`, `channel/<hex id>`, `node/<hex key>`,
 * `meta/…`; text of 1…256 UTF-8 bytes, no duplicates), the record bytes (`value`, absent when the state holds
 * none) and a store proof (`encodeProof`) of the key `stateKey(path)` against the state root of final block
 * `height` — the one asked for, or without `height` the last final block a light client can verify (the head once
 * its certificate is there, else the block before it). `hash` is that block's header hash (the chain id at height
 * 0). Records come in the order of `paths`.
 *
 * Decoders of untrusted bytes throw LedgerViewError only: BAD_REQUEST for requests, BAD_REPLY for replies.
 */
import { type BlockHeader, type Certificate, decodeHeader } from '../ledger/index.ts';
import { type CborValue, decodeCbor, encodeCbor, s, type Schema } from '../wire/index.ts';
import { LedgerViewError, type LedgerViewErrorCode } from './ledger-view-errors.ts';

export const HEADERS_METHOD = 'manager/headers';
export const STATE_METHOD = 'manager/state';

/** Headers per `manager/headers` reply at most. */
export const MAX_HEADERS = 64;
/** A headers reply stops growing once it holds this many bytes (it always holds one header it can give). */
export const HEADERS_REPLY_BUDGET = 8 << 20;
/** Paths per `manager/state` request at most, and the UTF-8 bytes of one path. */
export const MAX_STATE_PATHS = 64;
export const MAX_PATH_BYTES = 256;
/** A state reply larger than this is refused by the manager (ask for fewer paths). */
export const STATE_REPLY_LIMIT = 16 << 20;
/** One record (the store's default largest value) and one proof of it (≤ 64 levels of 15 sibling hashes). */
const MAX_RECORD_BYTES = 1 << 20;
const MAX_PROOF_BYTES = MAX_RECORD_BYTES + (64 << 10);
/** RLDP's largest message: a reply cannot be larger. */
const MAX_REPLY_BYTES = 64 << 20;

const key32 = s.bytes({ len: 32 });
const headersRequestSchema = s.struct({ from: s.u64(), limit: s.uint({ max: MAX_HEADERS }) });
const certificateSchema = s.array(s.struct({ member: s.bytes({ min: 1, max: 1024 }), sig: s.bytes({ min: 1, max: 1024 }) }), {
  max: 1024,
});
const headersReplySchema = s.struct({
  head: s.u64(),
  headers: s.array(
    s.struct({
      header: s.bytes({ min: 1, max: 1 << 16 }),
      certificate: certificateSchema,
      managers: s.bytes({ min: 1, max: MAX_PROOF_BYTES }),
      txs: s.optional(s.array(s.bytes({ min: 1, max: 1 << 30 }), { max: 1 << 20 })),
    }),
    { max: MAX_HEADERS },
  ),
});
const path = s.text({ min: 1, max: MAX_PATH_BYTES });
const stateRequestSchema = s.struct({ paths: s.array(path, { min: 1, max: MAX_STATE_PATHS }), height: s.optional(s.u64()) });
const stateReplySchema = s.struct({
  height: s.u64(),
  hash: key32,
  records: s.array(
    s.struct({ path, value: s.optional(s.bytes({ max: MAX_RECORD_BYTES })), proof: s.bytes({ min: 1, max: MAX_PROOF_BYTES }) }),
    { max: MAX_STATE_PATHS },
  ),
});

export interface HeadersRequest {
  /** The first height wanted (≥ 1). */
  readonly from: bigint;
  /** How many at most (1…MAX_HEADERS). */
  readonly limit: number;
}

/** One final header with what `LightClient.follow` needs to take it. */
export interface CertifiedHeader {
  readonly header: BlockHeader;
  readonly certificate: Certificate;
  /** `encodeProof` of `meta/managers` at the block's state. */
  readonly managers: Uint8Array;
  /** The block's encoded transactions: given when the block changed the manager set. */
  readonly txs?: readonly Uint8Array[];
}

export interface HeadersReply {
  /** The manager's last final height. */
  readonly head: bigint;
  readonly headers: readonly CertifiedHeader[];
}

export interface StateRequest {
  readonly paths: readonly string[];
  /** The final block whose state is wanted; absent: the last one a light client can verify. */
  readonly height?: bigint;
}

export interface ProvenRecord {
  readonly path: string;
  /** The record's bytes; absent when the state holds none. */
  readonly value?: Uint8Array;
  /** `encodeProof` of `stateKey(path)` at the block's state. */
  readonly proof: Uint8Array;
}

export interface StateReply {
  readonly height: bigint;
  /** The block's header hash (the chain id at height 0). */
  readonly hash: Uint8Array;
  readonly records: readonly ProvenRecord[];
}

function parse<T>(schema: Schema<T>, bytes: Uint8Array, maxSize: number, what: string, code: LedgerViewErrorCode): T {
  try {
    return schema.parse(decodeCbor(bytes, { maxSize }), what);
  } catch (cause) {
    throw new LedgerViewError(code, `${what}: ${(cause as Error).message}`, { cause });
  }
}

/** What the schemas cannot say: heights start at 1, a limit is at least 1, a path is asked once. */
function checkHeadersRequest(req: HeadersRequest): HeadersRequest {
  if (req.from < 1n) throw new LedgerViewError('BAD_REQUEST', 'headers request: from is a height ≥ 1');
  if (req.limit < 1) throw new LedgerViewError('BAD_REQUEST', 'headers request: limit is at least 1');
  return req;
}

function checkStateRequest(req: StateRequest): StateRequest {
  if (new Set(req.paths).size !== req.paths.length) throw new LedgerViewError('BAD_REQUEST', 'state request: a path is listed twice');
  return req;
}

/** Encodes what `check` accepts back: BAD_REQUEST for a request a manager would refuse. */
function encodeChecked(value: object, check: (bytes: Uint8Array) => unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeCbor(value as CborValue);
  } catch (cause) {
    throw new LedgerViewError('BAD_REQUEST', `request: ${(cause as Error).message}`, { cause });
  }
  check(bytes);
  return bytes;
}

export function encodeHeadersRequest(req: HeadersRequest): Uint8Array {
  return encodeChecked({ from: req.from, limit: req.limit }, decodeHeadersRequest);
}

export function decodeHeadersRequest(bytes: Uint8Array): HeadersRequest {
  return checkHeadersRequest(parse(headersRequestSchema, bytes, 64, 'headers request', 'BAD_REQUEST'));
}

export function encodeStateRequest(req: StateRequest): Uint8Array {
  return encodeChecked(req.height === undefined ? { paths: req.paths } : { paths: req.paths, height: req.height }, decodeStateRequest);
}

export function decodeStateRequest(bytes: Uint8Array): StateRequest {
  return checkStateRequest(parse(stateRequestSchema, bytes, 32 << 10, 'state request', 'BAD_REQUEST'));
}

/** The encoded header goes on the wire as the bytes its hash is taken over. */
export function encodeHeadersReply(reply: HeadersReply): Uint8Array {
  const headers = reply.headers.map((h) => {
    const item = { header: encodeCbor(h.header as unknown as CborValue), certificate: h.certificate, managers: h.managers };
    return h.txs === undefined ? item : { ...item, txs: h.txs };
  });
  return encodeCbor({ head: reply.head, headers } as unknown as CborValue);
}

export function decodeHeadersReply(bytes: Uint8Array): HeadersReply {
  const raw = parse(headersReplySchema, bytes, MAX_REPLY_BYTES, 'headers reply', 'BAD_REPLY');
  const headers = raw.headers.map((h, i): CertifiedHeader => {
    let header: BlockHeader;
    try {
      header = decodeHeader(h.header);
    } catch (cause) {
      throw new LedgerViewError('BAD_REPLY', `headers reply: headers[${i}].header: ${(cause as Error).message}`, { cause });
    }
    const item = { header, certificate: h.certificate, managers: h.managers };
    return h.txs === undefined ? item : { ...item, txs: h.txs };
  });
  return { head: raw.head, headers };
}

export function encodeStateReply(reply: StateReply): Uint8Array {
  const records = reply.records.map((r) => (r.value === undefined ? { path: r.path, proof: r.proof } : { path: r.path, value: r.value, proof: r.proof }));
  return encodeCbor({ height: reply.height, hash: reply.hash, records } as unknown as CborValue);
}

export function decodeStateReply(bytes: Uint8Array): StateReply {
  // The schema leaves `value` out when it is absent: the parsed records are ProvenRecords as they are.
  return parse(stateReplySchema, bytes, MAX_REPLY_BYTES, 'state reply', 'BAD_REPLY');
}
