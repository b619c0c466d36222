/**
 * Manager- and governance-signed changes: a ring change records a new ring-map root at a higher epoch (the map
 * itself travels with a map certificate, SPEC §5); a parameter change needs the governance threshold of the
 * genesis, and the whole parameter set must still validate afterwards.
 */
import { LedgerError } from './errors.ts';
import type { TxContext } from './exec-context.ts';
import { withParam } from './params.ts';
import type { TxBody } from './tx.ts';

export function execRingChange(ctx: TxContext, body: TxBody<'ring-change'>): void {
  const ring = ctx.state.ring();
  if (body.epoch <= ring.epoch) {
    throw new LedgerError('STALE_EPOCH', `epoch ${body.epoch} is not above ${ring.epoch}`, { field: 'body.epoch' });
  }
  ctx.state.setRing({ epoch: body.epoch, root: body.root });
}

export function execSetParam(ctx: TxContext, body: TxBody<'set-param'>): void {
  let next;
  try {
    next = withParam(ctx.params, body.name, body.value);
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'BAD_PARAMS') {
      throw new LedgerError('BAD_FIELD', error.message, { field: 'body.value', cause: error });
    }
    throw error;
  }
  ctx.state.setParams(next);
}
