/**
 * The managers' reports on nodes (SPEC §6 item 5, §7 "keep reputation"): a `node-report`, signed by one manager,
 * adds to each listed node's record what that manager observed since its last report — audits passed and
 * failed (a failure proven as cheating sets the node's bad record, for ever), heartbeat intervals seen and
 * expected (to today's uptime bucket), requests served, and the workload units served (to the node's workload of
 * the open period, which the period close pays the worker fee pool by). Client scores do not come this way: receipts carry them
 * and the settlement records them (exec-channels.ts), so no manager can invent one.
 *
 * Reports add up: each manager reports its own observations once (its nonce orders them); telling apart two
 * managers' reports of the same audit is the managers' duty, as with the audited workload of a period close.
 */
import { toHex } from '../crypto/index.ts';
import { UINT64_MAX } from '../wire/index.ts';
import { LedgerError } from './errors.ts';
import { requireNode, type TxContext } from './exec-context.ts';
import { addUptime } from './reputation.ts';
import type { TxBody } from './tx.ts';

/** a + b, refused (BAD_FIELD naming `field`) where the counter would leave u64: the record could not be stored. */
function add(a: bigint, b: bigint, field: string): bigint {
  const sum = a + b;
  if (sum > UINT64_MAX) throw new LedgerError('BAD_FIELD', 'the counter would pass 2^64 − 1', { field });
  return sum;
}

export function execNodeReport(ctx: TxContext, body: TxBody<'node-report'>): void {
  const seen = new Set<string>();
  for (const [i, entry] of body.nodes.entries()) {
    const field = `body.nodes[${i}]`;
    const hex = toHex(entry.node);
    if (seen.has(hex)) throw new LedgerError('BAD_FIELD', 'node listed twice', { field: `${field}.node` });
    seen.add(hex);
    if (entry.heartbeatsSeen > entry.heartbeatsExpected) {
      throw new LedgerError('BAD_FIELD', 'more heartbeat intervals seen than expected', { field: `${field}.heartbeatsSeen` });
    }
    if (entry.cheated && entry.auditsFailed === 0n) {
      throw new LedgerError('BAD_FIELD', 'cheating is proven by a failed audit', { field: `${field}.cheated` });
    }
    // Any registered node, whatever its status: evidence of past service stays evidence after an exit.
    const node = requireNode(ctx, entry.node, `${field}.node`);
    const { rep } = node;
    const uptime = addUptime(rep.uptime, ctx.params, ctx.time, entry.heartbeatsSeen, entry.heartbeatsExpected);
    // seen ≤ expected in every report, so today's bucket overflows in `expected` first if at all.
    if ((uptime.at(-1)?.expected ?? 0n) > UINT64_MAX) {
      throw new LedgerError('BAD_FIELD', 'the counter would pass 2^64 − 1', { field: `${field}.heartbeatsExpected` });
    }
    ctx.state.setNode({
      ...node,
      workload: add(node.workload, entry.units ?? 0n, `${field}.units`),
      rep: {
        ...rep,
        auditsPassed: add(rep.auditsPassed, entry.auditsPassed, `${field}.auditsPassed`),
        auditsFailed: add(rep.auditsFailed, entry.auditsFailed, `${field}.auditsFailed`),
        served: add(rep.served, entry.served, `${field}.served`),
        uptime,
        bad: rep.bad || entry.cheated,
      },
    });
  }
}
