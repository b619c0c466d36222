/**
 * A manager's audit of one worker (SPEC §6 item 5: "managers sample log entries with Merkle proofs and challenge
 * stored blobs with nonce-hashed byte ranges"). One audit:
 *
 * 1. asks for the worker's last sealed service-log batch (`svc/log-tail`);
 * 2. samples distinct entries of that batch at random and asks for each one's proof and the receipt it names
 *    (`svc/log-proof`): the proof must lead to the batch root, the receipt must hash to the entry's receiptHash,
 *    pay this node on a channel the ledger holds, be authorised by that channel's client and carry a valid
 *    signature — a log entry without such a receipt is an inflated log, a forged receipt a forgery, and two
 *    sampled entries naming one receipt a replay (a worker's receipt book takes each receipt once, so an honest
 *    log names every receipt once): all cheating;
 * 3. for a sampled blob put, challenges the stored blob (`svc/blob-audit`) at nonce-picked segments: a blob the
 *    worker no longer holds, or cannot prove, fails the audit (lost data is not proven cheating — a disk can fail —
 *    but it costs reputation and blocks promotion).
 *
 * The outcome feeds a node-report transaction (report.ts). A worker that does not answer at all fails the audit.
 */
import { bytesEqual, type RandomSource, sha256, toHex } from '../crypto/index.ts';
import { decodeAuthorization, decodeReceipt, LedgerError, verifyReceipt } from '../ledger/index.ts';
import type { PeerRef, Rpc } from '../net/index.ts';
import { decodeAuditResponse, encodeAuditChallenge, newAuditChallenge, verifyAudit } from '../services/blobs/index.ts';
import { decodeBatchRecord, decodeLogProof, verifyLogProof } from '../store/index.ts';
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
} from '../worker/serve/protocol.ts';
import { WorkerError } from '../worker/errors.ts';
import { fromRemote } from '../worker/serve/remote-errors.ts';

export interface AuditTarget {
  readonly peer: PeerRef;
  /** The node's key: the payee its receipts must name. */
  readonly node: Uint8Array;
}

export interface AuditDeps {
  readonly rpc: Rpc;
  readonly random: RandomSource;
  /** The channel's client and payees as the ledger holds them. */
  readonly channel: (id: Uint8Array) => { readonly client: string; readonly payees: readonly Uint8Array[] } | undefined;
  /** Log entries sampled per audit. */
  readonly samples?: number;
  /** Segments challenged per blob. */
  readonly segments?: number;
  readonly timeoutMs?: number;
}

export interface AuditOutcome {
  readonly node: Uint8Array;
  readonly passed: number;
  readonly failed: number;
  /** A proven forgery or inflated log: sets the node's bad record. */
  readonly cheated: boolean;
  /** What failed, for logs and tests. */
  readonly findings: readonly string[];
}

/** The worker's error class and code of a refusal ("WorkerError:NOT_FOUND"), if it was one. */
function remoteCode(error: unknown): string | undefined {
  const mapped = fromRemote(error);
  return mapped instanceof WorkerError ? mapped.remote : undefined;
}

/** A uniform integer in [0, n) from the injected randomness (rejection sampling, no modulo bias). */
function pick(random: RandomSource, n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const b = random(4);
    const x = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (x < limit) return x % n;
  }
}

/** `n` distinct seqs of the batch [first, first + span), picked uniformly; all of them when it holds no more. */
function sample(random: RandomSource, first: number, span: number, n: number): number[] {
  if (span <= n) return Array.from({ length: span }, (_, i) => first + i);
  const picked = new Set<number>();
  while (picked.size < n) picked.add(first + pick(random, span));
  return [...picked];
}

export async function auditNode(target: AuditTarget, deps: AuditDeps): Promise<AuditOutcome> {
  const findings: string[] = [];
  let passed = 0;
  let failed = 0;
  let cheated = false;
  const call = (method: string, body: Uint8Array) => deps.rpc.request(target.peer, method, body, { timeoutMs: deps.timeoutMs ?? 10_000 });
  const outcome = (): AuditOutcome => ({ node: target.node, passed, failed, cheated, findings });

  let tail;
  try {
    tail = logTailReply.decode(await call(LOG_TAIL_METHOD, logTail.encode({})));
  } catch (error) {
    findings.push(`log tail: ${(error as Error).message}`);
    failed += 1;
    return outcome();
  }
  if (tail.batch.length === 0) return outcome(); // nothing sealed yet: nothing to audit
  const batch = decodeBatchRecord(tail.batch);
  const span = batch.lastSeq - batch.firstSeq + 1;

  // The receipt each proven entry names, by hash: one receipt behind two entries is a replayed receipt.
  const receipts = new Map<string, number>();
  for (const seq of sample(deps.random, batch.firstSeq, span, deps.samples ?? 2)) {
    try {
      const reply = logProofReply.decode(await call(LOG_PROOF_METHOD, logProof.encode({ seq })));
      const proof = decodeLogProof(reply.proof);
      if (proof.entry.seq !== seq || !verifyLogProof(batch, proof)) {
        cheated = true;
        findings.push(`entry ${seq}: the proof does not lead to the sealed batch`);
        continue;
      }
      const named = toHex(proof.entry.receiptHash);
      const other = receipts.get(named);
      if (other !== undefined) {
        cheated = true;
        findings.push(`entry ${seq}: replays the receipt of entry ${other} (a receipt pays one request)`);
        continue;
      }
      receipts.set(named, seq);
      const receiptFinding = checkReceipt(target, deps, proof.entry.receiptHash, reply.receipt, reply.authorization, proof.entry.time);
      if (receiptFinding !== undefined) {
        cheated = true;
        findings.push(`entry ${seq}: ${receiptFinding}`);
        continue;
      }
      if (proof.entry.service === 'blob-put') {
        const blobFinding = await auditBlob(proof.entry.resultHash, deps, call);
        if (blobFinding !== undefined) {
          failed += 1;
          findings.push(`entry ${seq}: ${blobFinding}`);
          continue;
        }
      }
      passed += 1;
    } catch (error) {
      // A sealed entry the worker cannot back with a receipt was never paid for: an inflated log.
      if (remoteCode(error) === 'WorkerError:NOT_FOUND') cheated = true;
      else failed += 1;
      findings.push(`entry ${seq}: ${(error as Error).message}`);
    }
  }
  return outcome();
}

/** Why the receipt behind a log entry does not hold, or undefined when it does. */
function checkReceipt(
  target: AuditTarget,
  deps: AuditDeps,
  receiptHash: Uint8Array,
  receiptBytes: Uint8Array,
  authBytes: Uint8Array,
  servedAt: number,
): string | undefined {
  if (!bytesEqual(sha256(receiptBytes), receiptHash)) return 'the receipt does not hash to the logged receiptHash';
  try {
    const receipt = decodeReceipt(receiptBytes);
    const auth = decodeAuthorization(authBytes);
    if (!bytesEqual(receipt.fields.payee, target.node)) return 'the receipt pays another node';
    const channel = deps.channel(receipt.fields.channel);
    if (channel === undefined) return `channel ${toHex(receipt.fields.channel)} is not on the ledger`;
    if (!channel.payees.some((p) => bytesEqual(p, target.node))) return 'this node is not a payee of the channel';
    // Valid when the request was served: the authorisation may have expired since.
    verifyReceipt(receipt, auth, channel.client, servedAt);
    return undefined;
  } catch (error) {
    if (error instanceof LedgerError) return `receipt: ${error.message}`;
    throw error;
  }
}

async function auditBlob(
  address: Uint8Array,
  deps: AuditDeps,
  call: (method: string, body: Uint8Array) => Promise<Uint8Array>,
): Promise<string | undefined> {
  const challenge = newAuditChallenge(address, deps.segments ?? 8, deps.random);
  try {
    const reply = blobAuditReply.decode(await call(BLOB_AUDIT_METHOD, blobAudit.encode({ challenge: encodeAuditChallenge(challenge) })));
    verifyAudit(challenge, decodeAuditResponse(reply.response));
    return undefined;
  } catch (error) {
    return `blob ${toHex(address).slice(0, 16)}: ${(error as Error).message}`;
  }
}
