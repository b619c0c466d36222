/**
 * What every transaction's execution shares: the state layer it writes, block time, parameters, and the account
 * helpers that keep the money rules in one place — lazy option release, the period-income hold (the part of this
 * period's income that the period close will freeze is not spendable), debit/credit with typed errors.
 */
import { LedgerError } from './errors.ts';
import { frozenPart, vested } from './economics.ts';
import type { LedgerParams } from './params.ts';
import type { AccountRecord, ChainRecord, NodeRecord } from './records.ts';
import type { StateView } from './state.ts';
import type { Tx } from './tx.ts';
import type { VerifySig } from '../crypto/index.ts';

export interface TxContext {
  readonly state: StateView;
  readonly params: LedgerParams;
  /** Block time, ms. */
  readonly time: bigint;
  readonly chain: ChainRecord;
  readonly tx: Tx;
  /** The signer's account address (account-signed kinds) or undefined. */
  readonly signer: string | undefined;
  /** Checks signatures carried inside the body (receipts, session authorisations). */
  readonly verify: VerifySig;
  /** Set by a period-close transaction: the close runs after the block's economics. */
  readonly block: { periodClose: boolean };
}

/** The account with every tranche's released days moved to its balance (and finished tranches dropped). */
export function touch(ctx: Pick<TxContext, 'state' | 'params' | 'time'>, address: string): AccountRecord {
  const account = ctx.state.account(address);
  let abc = account.abc;
  let changed = false;
  const options = [];
  for (const tranche of account.options) {
    const due = vested(ctx.params, tranche, ctx.time) - tranche.released;
    if (due > 0n) {
      abc += due;
      changed = true;
    }
    const released = tranche.released + (due > 0n ? due : 0n);
    if (released < tranche.total) options.push({ ...tranche, released });
    else changed = true;
  }
  return changed ? { ...account, abc, options } : account;
}

/** ABC the account may spend now: its balance less the part of this period's income that will be frozen. */
export function spendable(params: LedgerParams, account: AccountRecord): bigint {
  const held = frozenPart(params, account.periodIncome);
  return account.abc > held ? account.abc - held : 0n;
}

export function debitAbc(
  ctx: Pick<TxContext, 'state' | 'params' | 'time'>,
  address: string,
  amount: bigint,
  field: string,
): void {
  const account = touch(ctx, address);
  const available = spendable(ctx.params, account);
  if (amount > available) {
    throw new LedgerError('INSUFFICIENT_FUNDS', `${address} can spend ${available} a, needs ${amount} a`, { field });
  }
  ctx.state.setAccount({ ...account, abc: account.abc - amount });
}

/** Credits ABC; `income` marks node income (receipts, rewards, pool shares), 20 % of which the period close freezes. */
export function creditAbc(
  ctx: Pick<TxContext, 'state' | 'params' | 'time'>,
  address: string,
  amount: bigint,
  income: boolean,
): void {
  if (amount === 0n) return;
  const account = touch(ctx, address);
  ctx.state.setAccount({
    ...account,
    abc: account.abc + amount,
    periodIncome: income ? account.periodIncome + amount : account.periodIncome,
  });
}

export function requireNode(ctx: Pick<TxContext, 'state'>, key: Uint8Array, field = 'body.node'): NodeRecord {
  const node = ctx.state.node(key);
  if (node === undefined) throw new LedgerError('UNKNOWN_NODE', 'no node is registered with this key', { field });
  return node;
}

export function isActiveManager(ctx: Pick<TxContext, 'state'>, key: Uint8Array): boolean {
  const node = ctx.state.node(key);
  return node !== undefined && node.role === 'manager' && (node.status === 'active' || node.status === 'exiting');
}

/** An account as of block time `time`, with its released option days counted in its balance (nothing written). */
export function accountAt(state: StateView, params: LedgerParams, address: string, time: bigint): AccountRecord {
  return touch({ state, params, time }, address);
}
