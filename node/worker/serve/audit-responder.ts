/**
 * A worker's answers to the managers' audits (SPEC §6 item 5): its last sealed service-log batch, the proof of a
 * sampled entry with the receipt that entry names (from the receipt archive), and proofs of storage for a blob.
 * Only auditors may ask — the log names clients — so every request is checked against the caller's PeerId,
 * which the transport authenticated.
 */
import type { RequestContext, Rpc } from '../../net/index.ts';
import { answerAudit, type BlobStore, decodeAuditChallenge, encodeAuditResponse } from '../../services/blobs/index.ts';
import { encodeBatchRecord, encodeLogProof, type ServiceLog } from '../../store/index.ts';
import { WorkerError } from '../errors.ts';
import type { ReceiptArchive } from '../payments/receipt-archive.ts';
import {
  BLOB_AUDIT_METHOD,
  blobAudit,
  blobAuditReply,
  LOG_PROOF_METHOD,
  LOG_TAIL_METHOD,
  logProof,
  logProofReply,
  logTail,
  logTailReply,
} from './protocol.ts';
import { serving } from './remote-errors.ts';

export interface AuditResponderOptions {
  readonly log: ServiceLog;
  readonly archive: ReceiptArchive;
  readonly blobs: BlobStore;
  /** Whether a PeerId may audit this worker (the managers'). */
  readonly auditor: (peer: string) => boolean;
}

const METHODS = [LOG_TAIL_METHOD, LOG_PROOF_METHOD, BLOB_AUDIT_METHOD] as const;

export class AuditResponder {
  readonly #o: AuditResponderOptions;
  #answered = 0;

  constructor(options: AuditResponderOptions) {
    this.#o = options;
  }

  get answered(): number {
    return this.#answered;
  }

  attach(rpc: Rpc): void {
    const guarded = (handler: (body: Uint8Array) => Uint8Array) =>
      serving(async (body: Uint8Array, ctx: RequestContext) => {
        if (!this.#o.auditor(ctx.peer)) throw new WorkerError('NOT_AUDITOR', `${ctx.peer} does not audit this worker`);
        const reply = handler(body);
        this.#answered += 1;
        return reply;
      });
    rpc.handle(LOG_TAIL_METHOD, guarded((body) => this.tail(body)));
    rpc.handle(LOG_PROOF_METHOD, guarded((body) => this.proof(body)));
    rpc.handle(BLOB_AUDIT_METHOD, guarded((body) => this.blob(body)));
  }

  detach(rpc: Rpc): void {
    for (const method of METHODS) rpc.unhandle(method);
  }

  tail(body: Uint8Array): Uint8Array {
    logTail.decode(body);
    const tail = this.#o.log.tail();
    const batch = tail.batchIndex === 0 ? new Uint8Array(0) : encodeBatchRecord(this.#o.log.getBatch(tail.batchIndex));
    return logTailReply.encode({ sealedThrough: tail.sealedThrough, batch });
  }

  proof(body: Uint8Array): Uint8Array {
    const { seq } = logProof.decode(body);
    const tail = this.#o.log.tail();
    if (seq < 1 || seq > tail.sealedThrough) {
      throw new WorkerError('NOT_FOUND', `entry ${seq} is not sealed (sealed through ${tail.sealedThrough})`, { field: 'seq' });
    }
    const proof = this.#o.log.prove(seq);
    const archived = this.#o.archive.get(proof.entry.receiptHash);
    if (archived === undefined) throw new WorkerError('NOT_FOUND', `no receipt archived for entry ${seq}`, { field: 'seq' });
    return logProofReply.encode({ proof: encodeLogProof(proof), receipt: archived.receipt, authorization: archived.authorization });
  }

  blob(body: Uint8Array): Uint8Array {
    const challenge = decodeAuditChallenge(blobAudit.decode(body).challenge);
    return blobAuditReply.encode({ response: encodeAuditResponse(answerAudit(this.#o.blobs, challenge)) });
  }
}
