/**
 * The service methods a worker or temporary worker answers over RLDP (docs/worker.md "Serving"), and their bodies
 * (canonical CBOR through node/wire). Paid requests carry the client's receipt for exactly this request and the
 * session authorisation that lets its session key sign receipts (SPEC §3, §6 item 4):
 *
 *   svc/blob-put  { pay, manifest, index, chunk, days } → { stored }      one chunk of a blob, kept `days` days
 *   svc/blob-get  { pay, address, index }               → { manifest, chunk }
 *   svc/msg-put   { pay, to, envelope }                 → { seq }         store-and-forward to a messaging address
 *   svc/msg-get   { access, after, limit }              → { items }       the mailbox owner reads (free)
 *   svc/msg-ack   { access, seqs }                      → { acked }       … and deletes what it processed
 *
 * and, for the managers' audits only (SPEC §6 item 5; the caller's PeerId must be an auditor's):
 *
 *   svc/log-tail   {}            → { sealedThrough, batch }            the last sealed batch record (empty: none)
 *   svc/log-proof  { seq }       → { proof, receipt, authorization }   a sealed entry's proof and the receipt it names
 *   svc/blob-audit { challenge } → { response }                        a proof of storage (node/services/blobs)
 *
 * A malformed body is WorkerError MALFORMED naming the field; decoders throw nothing else.
 */
import { decodeCbor, encodeCbor, type CborValue, type Infer, type Schema, s } from '../../wire/index.ts';
import { WorkerError } from '../errors.ts';

export const BLOB_PUT_METHOD = 'svc/blob-put';
export const BLOB_GET_METHOD = 'svc/blob-get';
export const MSG_PUT_METHOD = 'svc/msg-put';
export const MSG_GET_METHOD = 'svc/msg-get';
export const MSG_ACK_METHOD = 'svc/msg-ack';
export const LOG_TAIL_METHOD = 'svc/log-tail';
export const LOG_PROOF_METHOD = 'svc/log-proof';
export const BLOB_AUDIT_METHOD = 'svc/blob-audit';

/** Bounds that keep a request inside one RLDP message: a chunk (≤ 1 MiB) plus its manifest and payment. */
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const MAX_CHUNK = 1024 * 1024;
const MAX_MANIFEST = 1024 * 1024;
const MAX_ENVELOPE = 256 * 1024;
export const MAX_MAIL_ITEMS = 256;

const pay = s.struct({ receipt: s.bytes({ max: 512 }), authorization: s.bytes({ max: 8192 }) });
/** A paid request's receipt and session authorisation (other paid protocols carry the same). */
export const paymentSchema = pay;
/** The mailbox owner's proof: its messaging signing key and a signature over the request at `time`. */
const access = s.struct({ account: s.bytes({ len: 32 }), key: s.bytes({ len: 32 }), time: s.u64(), sig: s.bytes({ len: 64 }) });

const blobPutSchema = s.struct({
  pay,
  manifest: s.bytes({ max: MAX_MANIFEST }),
  index: s.uint(),
  chunk: s.bytes({ max: MAX_CHUNK }),
  days: s.uint(),
});
const blobGetSchema = s.struct({ pay, address: s.bytes({ len: 32 }), index: s.uint() });
const msgPutSchema = s.struct({ pay, to: s.bytes({ len: 32 }), envelope: s.bytes({ min: 1, max: MAX_ENVELOPE }) });
const msgGetSchema = s.struct({ access, after: s.uint(), limit: s.uint() });
const msgAckSchema = s.struct({ access, seqs: s.array(s.uint(), { max: MAX_MAIL_ITEMS }) });

const logTailSchema = s.struct({});
const logTailReplySchema = s.struct({ sealedThrough: s.uint(), batch: s.bytes({ max: 256 }) });
const logProofSchema = s.struct({ seq: s.uint() });
const logProofReplySchema = s.struct({ proof: s.bytes({ max: 8192 }), receipt: s.bytes({ max: 512 }), authorization: s.bytes({ max: 8192 }) });
const blobAuditSchema = s.struct({ challenge: s.bytes({ max: 1024 }) });
const blobAuditReplySchema = s.struct({ response: s.bytes({ max: 1024 * 1024 }) });

const storedSchema = s.struct({ stored: s.bool() });
const chunkReplySchema = s.struct({ manifest: s.bytes({ max: MAX_MANIFEST }), chunk: s.bytes({ max: MAX_CHUNK }) });
const seqSchema = s.struct({ seq: s.uint() });
const itemsSchema = s.struct({
  items: s.array(s.struct({ seq: s.uint(), envelope: s.bytes({ max: MAX_ENVELOPE }) }), { max: MAX_MAIL_ITEMS }),
});
const ackedSchema = s.struct({ acked: s.uint() });

export type Payment = Infer<typeof pay>;
export type MailAccess = Infer<typeof access>;
export type BlobPut = Infer<typeof blobPutSchema>;
export type BlobGet = Infer<typeof blobGetSchema>;
export type MsgPut = Infer<typeof msgPutSchema>;
export type MsgGet = Infer<typeof msgGetSchema>;
export type MsgAck = Infer<typeof msgAckSchema>;
export type ChunkReply = Infer<typeof chunkReplySchema>;
export type MailItems = Infer<typeof itemsSchema>;

/** Encoder and strict decoder (WorkerError MALFORMED naming `what`) of one body. */
export function codec<T>(schema: Schema<T>, what: string) {
  return {
    encode: (value: T): Uint8Array => encodeCbor(value as unknown as CborValue),
    decode: (bytes: Uint8Array): T => {
      try {
        return schema.parse(decodeCbor(bytes, { maxSize: MAX_REQUEST_BYTES }), what);
      } catch (cause) {
        throw new WorkerError('MALFORMED', (cause as Error).message, { field: what, cause });
      }
    },
  };
}

export const blobPut = codec(blobPutSchema, 'blob-put');
export const blobGet = codec(blobGetSchema, 'blob-get');
export const msgPut = codec(msgPutSchema, 'msg-put');
export const msgGet = codec(msgGetSchema, 'msg-get');
export const msgAck = codec(msgAckSchema, 'msg-ack');
export const storedReply = codec(storedSchema, 'blob-put reply');
export const chunkReply = codec(chunkReplySchema, 'blob-get reply');
export const seqReply = codec(seqSchema, 'msg-put reply');
export const itemsReply = codec(itemsSchema, 'msg-get reply');
export const ackedReply = codec(ackedSchema, 'msg-ack reply');
export const logTail = codec(logTailSchema, 'log-tail');
export const logTailReply = codec(logTailReplySchema, 'log-tail reply');
export const logProof = codec(logProofSchema, 'log-proof');
export const logProofReply = codec(logProofReplySchema, 'log-proof reply');
export const blobAudit = codec(blobAuditSchema, 'blob-audit');
export const blobAuditReply = codec(blobAuditReplySchema, 'blob-audit reply');
