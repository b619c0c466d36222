/** Transfer and conversion (SPEC §3, §7): ABC moves between accounts; ABC → ABIT burns ABC and mints ×1000. */
import { parseAddress } from '../crypto/index.ts';
import { BT_PER_A } from './economics.ts';
import { LedgerError } from './errors.ts';
import { creditAbc, debitAbc, touch, type TxContext } from './exec-context.ts';
import type { TxBody } from './tx.ts';

export function execTransfer(ctx: TxContext, body: TxBody<'transfer'>): void {
  try {
    if (parseAddress(body.to).text !== body.to) throw new Error('not in canonical form');
  } catch (cause) {
    throw new LedgerError('BAD_FIELD', `not an address: ${(cause as Error).message}`, { field: 'body.to', cause });
  }
  if (body.amount === 0n) throw new LedgerError('BAD_FIELD', 'amount must be positive', { field: 'body.amount' });
  debitAbc(ctx, ctx.signer!, body.amount, 'body.amount');
  creditAbc(ctx, body.to, body.amount, false);
}

export function execConvert(ctx: TxContext, body: TxBody<'convert'>): void {
  if (body.amount === 0n) throw new LedgerError('BAD_FIELD', 'amount must be positive', { field: 'body.amount' });
  debitAbc(ctx, ctx.signer!, body.amount, 'body.amount');
  const minted = body.amount * BT_PER_A;
  const account = touch(ctx, ctx.signer!);
  ctx.state.setAccount({ ...account, abit: account.abit + minted });
  const totals = ctx.state.totals();
  ctx.state.setTotals({
    ...totals,
    abcBurned: totals.abcBurned + body.amount,
    abitMinted: totals.abitMinted + minted,
  });
}
