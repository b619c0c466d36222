/**
 * The managers' side of a promotion (SPEC §6 item 6): a temporary worker applies (`manager/promotion`,
 * node/worker/promotion-protocol.ts) and the manager decides on its final state — the same rules the ledger
 * applies (`promotionShortfall`), so what it submits is what the ledger accepts, and what it refuses names the
 * unmet rule. A promotion it submits is a `promote` transaction signed by its node key; the worker deposit is
 * frozen when that transaction executes.
 */
import { ed25519KeyFromPeerId, toHex } from '../crypto/index.ts';
import { promotionShortfall, txHash } from '../ledger/index.ts';
import type { Rpc } from '../net/index.ts';
import { encodePromotionReply, PROMOTION_METHOD, type PromotionReply } from '../worker/promotion-protocol.ts';
import type { DutyTxs } from './duty-txs.ts';

export interface PromotionDeskOptions {
  readonly duty: DutyTxs;
  /** The ledger's time for the uptime window: the final block's. */
  readonly time?: () => bigint;
}

/** The decision on one applicant (exported for tests and for the CLI). */
export function decidePromotion(o: PromotionDeskOptions, node: Uint8Array): PromotionReply {
  const view = o.duty.active();
  if (view === undefined) return { ok: false, code: 'NOT_MANAGER', field: '', message: 'this node is not an active manager' };
  const record = view.node(node);
  if (record === undefined) return { ok: false, code: 'NOT_REGISTERED', field: 'node', message: `node ${toHex(node)} is not registered` };
  if (record.role !== 'temporary' || record.status !== 'active') {
    return { ok: false, code: 'BAD_ROLE', field: 'node', message: `node is an ${record.status} ${record.role}; only active temporary workers are promoted` };
  }
  if (record.rep.bad || view.account(record.account).bad) {
    return { ok: false, code: 'BAD_ROLE', field: 'node', message: 'a node with a bad record is never promoted' };
  }
  const shortfall = promotionShortfall(record.rep, view.params(), o.time?.() ?? view.chain().lastTime);
  if (shortfall !== undefined) return { ok: false, code: 'NOT_ELIGIBLE', field: shortfall.field, message: shortfall.message };
  try {
    const tx = o.duty.submit('promote', { node });
    if (tx === undefined) return { ok: false, code: 'NOT_MANAGER', field: '', message: 'this node is not an active manager' };
    return { ok: true, hash: txHash(tx) };
  } catch (error) {
    return { ok: false, code: 'REFUSED', field: '', message: `the pool refused the promotion: ${(error as Error).message}` };
  }
}

/** Serves `manager/promotion` on `rpc`; returns the function that stops serving it. */
export function servePromotions(rpc: Rpc, options: PromotionDeskOptions): () => void {
  rpc.handle(PROMOTION_METHOD, async (_body, ctx) => {
    let node: Uint8Array;
    try {
      node = ed25519KeyFromPeerId(ctx.peer);
    } catch {
      return encodePromotionReply({ ok: false, code: 'NOT_REGISTERED', field: 'peer', message: 'the caller has no Ed25519 node key' });
    }
    return encodePromotionReply(decidePromotion(options, node));
  });
  return () => rpc.unhandle(PROMOTION_METHOD);
}
