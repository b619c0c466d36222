/**
 * A temporary worker's application for promotion (SPEC §6 item 6: "the device applies; the managers decide by a
 * ledger transaction"): `manager/promotion`, empty body, sent to any manager. The applicant is the caller's
 * PeerId (authenticated by the transport), so nobody applies for another node. The manager checks the promotion
 * rules against its final state and either submits a `promote` transaction signed by its node key — reply
 * {ok, hash} — or answers why not: {ok: false, code, field, message}, with the ledger's NOT_ELIGIBLE naming the
 * unmet rule's parameter. Refusals are replies, not transport errors, so they stay typed across the wire.
 */
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import type { PeerRef, Rpc } from '../net/index.ts';
import { WorkerError } from './errors.ts';

export const PROMOTION_METHOD = 'manager/promotion';

/** Why a manager did not promote: the ledger's codes, and NOT_MANAGER for a node that is no active manager. */
export type PromotionRefusal = 'NOT_ELIGIBLE' | 'NOT_REGISTERED' | 'BAD_ROLE' | 'NOT_MANAGER' | 'REFUSED';

const replySchema = s.struct({
  ok: s.bool(),
  hash: s.bytes({ max: 32 }),
  code: s.text({ max: 32 }),
  field: s.text({ max: 64 }),
  message: s.text({ max: 1024 }),
});

export type PromotionReply =
  | { readonly ok: true; readonly hash: Uint8Array }
  | { readonly ok: false; readonly code: PromotionRefusal; readonly field: string; readonly message: string };

export function encodePromotionReply(reply: PromotionReply): Uint8Array {
  return reply.ok
    ? encodeCbor({ ok: true, hash: reply.hash, code: '', field: '', message: '' })
    : encodeCbor({ ok: false, hash: new Uint8Array(0), code: reply.code, field: reply.field.slice(0, 64), message: reply.message.slice(0, 1024) });
}

const CODES: readonly string[] = ['NOT_ELIGIBLE', 'NOT_REGISTERED', 'BAD_ROLE', 'NOT_MANAGER', 'REFUSED'];

/** MALFORMED for bytes that are no promotion reply. */
export function decodePromotionReply(bytes: Uint8Array): PromotionReply {
  let raw;
  try {
    raw = replySchema.parse(decodeCbor(bytes, { maxSize: 2048 }), 'promotion reply');
  } catch (cause) {
    throw new WorkerError('MALFORMED', `promotion reply: ${(cause as Error).message}`, { cause });
  }
  if (raw.ok) {
    if (raw.hash.length !== 32) throw new WorkerError('MALFORMED', 'promotion reply: a transaction hash is 32 bytes');
    return { ok: true, hash: raw.hash };
  }
  if (!CODES.includes(raw.code)) throw new WorkerError('MALFORMED', `promotion reply: unknown code ${JSON.stringify(raw.code)}`);
  return { ok: false, code: raw.code as PromotionRefusal, field: raw.field, message: raw.message };
}

/** Applies to one manager: the hash of the promote transaction it submitted, or its refusal (never thrown). */
export async function applyForPromotion(rpc: Rpc, manager: PeerRef, timeoutMs = 5_000): Promise<PromotionReply> {
  return decodePromotionReply(await rpc.request(manager, PROMOTION_METHOD, new Uint8Array(0), { timeoutMs }));
}
