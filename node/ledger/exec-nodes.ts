/**
 * Node lifecycle (SPEC §6): register (deposit frozen by role), re-bind the payout account, attach a temporary
 * worker to a Unity, promote a temporary worker that meets the promotion rules (reputation.ts), remove (deposit —
 * and, for cheating, options — forfeited to the reward pool), graceful exit (deposit back after the notice
 * period). Registration and re-bind are signed by the payout account (plus the node / new account key); attach,
 * promote and remove by a manager's node key.
 */
import { addressFromPublicKey, isScheme } from '../crypto/index.ts';
import { frozenPart } from './economics.ts';
import { LedgerError } from './errors.ts';
import { debitAbc, creditAbc, requireNode, touch, type TxContext, spendable } from './exec-context.ts';
import type { LedgerParams } from './params.ts';
import { newReputation, type NodeRecord, type Role } from './records.ts';
import { promotionShortfall } from './reputation.ts';
import type { TxBody } from './tx.ts';

export function depositFor(params: LedgerParams, role: Role): bigint {
  return role === 'manager' ? params.depositManager : role === 'worker' ? params.depositWorker : params.depositTemporary;
}

function requireLive(node: NodeRecord): void {
  if (node.status === 'removed' || node.status === 'exited') {
    throw new LedgerError('BAD_ROLE', `node is ${node.status}`, { field: 'body.node' });
  }
}

function requirePayout(ctx: TxContext, node: NodeRecord): void {
  if (node.account !== ctx.signer) {
    throw new LedgerError('NOT_AUTHORISED', 'only the payout account may do this', { field: 'signer' });
  }
}

export function execRegister(ctx: TxContext, body: TxBody<'register'>): void {
  if (body.role !== 'worker' && body.role !== 'temporary') {
    throw new LedgerError('BAD_ROLE', 'register as worker or temporary; managers enter by reconfiguration', {
      field: 'body.role',
    });
  }
  if (ctx.state.node(body.node) !== undefined) {
    throw new LedgerError('NODE_EXISTS', 'this node key is already registered', { field: 'body.node' });
  }
  const deposit = depositFor(ctx.params, body.role);
  debitAbc(ctx, ctx.signer!, deposit, 'body.role');
  ctx.state.setNode({
    key: body.node,
    role: body.role,
    status: 'active',
    account: ctx.signer!,
    deposit,
    nonce: 0n,
    unity: '',
    workload: 0n,
    releaseAt: 0n,
    hardware: body.hardware,
    rep: newReputation(ctx.time),
  });
}

export function execRebind(ctx: TxContext, body: TxBody<'rebind'>): void {
  const node = requireNode(ctx, body.node);
  requireLive(node);
  requirePayout(ctx, node);
  if (!isScheme(body.scheme)) throw new LedgerError('BAD_FIELD', 'unknown scheme', { field: 'body.scheme' });
  const account = addressFromPublicKey(body.scheme, body.key);
  ctx.state.setNode({ ...node, account });
}

export function execAttach(ctx: TxContext, body: TxBody<'attach'>): void {
  const node = requireNode(ctx, body.node);
  requireLive(node);
  if (node.role !== 'temporary') throw new LedgerError('BAD_ROLE', 'only temporary workers attach', { field: 'body.node' });
  ctx.state.setNode({ ...node, unity: body.unity });
}

/**
 * Temporary worker → worker, once its record meets every promotion rule (SPEC §6 item 6; NOT_ELIGIBLE naming the
 * unmet rule's parameter). The worker deposit comes from the payout account's spendable balance, and what that
 * lacks from its unreleased options (newest tranche first).
 */
export function execPromote(ctx: TxContext, body: TxBody<'promote'>): void {
  const node = requireNode(ctx, body.node);
  requireLive(node);
  if (node.role !== 'temporary') throw new LedgerError('BAD_ROLE', 'only temporary workers are promoted', { field: 'body.node' });
  const account = touch(ctx, node.account);
  if (account.bad || node.rep.bad) {
    throw new LedgerError('BAD_ROLE', 'a node with a bad record is never promoted', { field: 'body.node' });
  }
  const shortfall = promotionShortfall(node.rep, ctx.params, ctx.time);
  if (shortfall !== undefined) throw new LedgerError('NOT_ELIGIBLE', shortfall.message, { field: shortfall.field });
  const need = depositFor(ctx.params, 'worker') - node.deposit;
  const fromBalance = need <= 0n ? 0n : need < spendable(ctx.params, account) ? need : spendable(ctx.params, account);
  let rest = need - fromBalance;
  const options = [...account.options];
  for (let i = options.length - 1; i >= 0 && rest > 0n; i--) {
    const tranche = options[i]!;
    const take = tranche.total - tranche.released < rest ? tranche.total - tranche.released : rest;
    options[i] = { ...tranche, total: tranche.total - take };
    rest -= take;
  }
  if (rest > 0n) throw new LedgerError('INSUFFICIENT_FUNDS', 'balance and options do not cover the worker deposit', { field: 'body.node' });
  ctx.state.setAccount({ ...account, abc: account.abc - fromBalance, options: options.filter((t) => t.released < t.total) });
  ctx.state.setNode({ ...node, role: 'worker', deposit: node.deposit + (need > 0n ? need : 0n) });
}

/**
 * Removal (SPEC §6 items 7–8, §7 Options): the deposit always goes to the reward pool. For cheating also every
 * unreleased option of the payout account — the tranches, and the part of this period's income that the period
 * close would freeze as the next tranche (held, not spendable; without this the cheater would get a fresh tranche
 * at the close) — and the bad record on both the node and its account, for ever.
 */
export function execRemove(ctx: TxContext, body: TxBody<'remove'>): void {
  const node = requireNode(ctx, body.node);
  requireLive(node);
  if (node.role === 'manager') throw new LedgerError('BAD_ROLE', 'managers leave by reconfiguration', { field: 'body.node' });
  let forfeit = node.deposit;
  if (body.cheating) {
    const account = touch(ctx, node.account);
    for (const tranche of account.options) forfeit += tranche.total - tranche.released;
    // The hold is never spent (spendable() keeps it), so the balance covers it; min() only guards the record.
    const held = frozenPart(ctx.params, account.periodIncome);
    const taken = held < account.abc ? held : account.abc;
    forfeit += taken;
    ctx.state.setAccount({ ...account, abc: account.abc - taken, options: [], periodIncome: 0n, bad: true });
  }
  ctx.state.setNode({ ...node, status: 'removed', deposit: 0n, rep: body.cheating ? { ...node.rep, bad: true } : node.rep });
  const pools = ctx.state.pools();
  ctx.state.setPools({ ...pools, rewardPool: pools.rewardPool + forfeit });
}

/** First call: notice starts. A call at or after its end returns the deposit and ends the registration. */
export function execExit(ctx: TxContext, body: TxBody<'exit'>): void {
  const node = requireNode(ctx, body.node);
  requirePayout(ctx, node);
  if (node.status === 'active') {
    if (node.role === 'manager') throw new LedgerError('BAD_ROLE', 'managers leave by reconfiguration', { field: 'body.node' });
    ctx.state.setNode({ ...node, status: 'exiting', releaseAt: ctx.time + ctx.params.exitNoticeMs });
    return;
  }
  if (node.status !== 'exiting') throw new LedgerError('BAD_ROLE', `node is ${node.status}`, { field: 'body.node' });
  if (ctx.time < node.releaseAt) {
    throw new LedgerError('TOO_EARLY', `the notice period ends at ${node.releaseAt}`, { field: 'body.node' });
  }
  creditAbc(ctx, node.account, node.deposit, false);
  ctx.state.setNode({ ...node, status: 'exited', deposit: 0n });
}

