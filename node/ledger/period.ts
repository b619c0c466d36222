/**
 * The period close (SPEC §7). The transaction (signed by a manager) is checked and records the audited
 * workload units on the nodes when it executes; its effects run at the end of the block, after the block's
 * fees and rewards, in this order:
 *
 * 1. work rewards: every account's received ABIT is burned and it earns received / 1000 ABC from the reward
 *    pool (scaled down pro rata if the pool cannot cover them all);
 * 2. the worker fee pool is paid to the nodes' payout accounts in proportion to their workload units — except to
 *    a node with a bad record (own or payout account: proven cheating), whose units came from the log it cheated
 *    with: they are dropped unpaid (SPEC §6 item 5, §7 "in proportion to their audited workload");
 * 3. 20 % of every account's period income is frozen as one option tranche (30 daily parts);
 * 4. the ABIT chat allowance of the period is minted to accounts holding ≥ the minimum, by holding;
 * 5. the fund releases U_{r+1} into the reward pool, and period r + 1 starts at this block's time.
 *
 * Every division rounds down; remainders stay in the pool (or, for the allowance, are not minted).
 */
import { bytesEqual } from '../crypto/index.ts';
import {
  allowanceBudget,
  frozenPart,
  fundRelease,
  proportional,
  proRata,
  workReward,
} from './economics.ts';
import { LedgerError } from './errors.ts';
import { creditAbc, requireNode, touch, type TxContext } from './exec-context.ts';
import type { LedgerParams } from './params.ts';
import type { AccountRecord, NodeRecord } from './records.ts';
import type { StateView } from './state.ts';
import type { TxBody } from './tx.ts';

export function execPeriodClose(ctx: TxContext, body: TxBody<'period-close'>): void {
  if (ctx.block.periodClose) throw new LedgerError('BAD_FIELD', 'one period close per block', { field: 'body.period' });
  if (body.period !== ctx.chain.period) {
    throw new LedgerError('BAD_FIELD', `the open period is ${ctx.chain.period}`, { field: 'body.period' });
  }
  const due = ctx.chain.periodStart + ctx.params.periodMs;
  if (ctx.time < due) throw new LedgerError('TOO_EARLY', `period ${body.period} ends at ${due}`, { field: 'body.period' });
  for (const [i, entry] of body.workload.entries()) {
    const field = `body.workload[${i}].node`;
    if (body.workload.findIndex((e) => bytesEqual(e.node, entry.node)) !== i) {
      throw new LedgerError('BAD_FIELD', 'node listed twice', { field });
    }
    const node = requireNode(ctx, entry.node, field);
    ctx.state.setNode({ ...node, workload: node.workload + entry.units });
  }
  ctx.block.periodClose = true;
}

interface Snapshot {
  readonly accounts: AccountRecord[];
  readonly nodes: NodeRecord[];
}

function snapshot(state: StateView): Snapshot {
  const accounts: AccountRecord[] = [];
  const nodes: NodeRecord[] = [];
  for (const record of state.records()) {
    if (record.t === 'account') accounts.push(record);
    else if (record.t === 'node') nodes.push(record);
  }
  // Deterministic order (the payments do not depend on it, but the writes are easier to reason about).
  accounts.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { accounts, nodes };
}

export function closePeriod(state: StateView, params: LedgerParams, time: bigint): void {
  const ctx = { state, params, time };
  const chain = state.chain();
  const r = chain.period;
  const first = snapshot(state);
  let accounts = first.accounts;
  const nodes = first.nodes;

  // 1. Work rewards for received ABIT.
  const earners = accounts.filter((a) => a.receivedAbit > 0n);
  let pools = state.pools();
  const rewards = proRata(earners.map((a) => workReward(a.receivedAbit)), pools.rewardPool);
  let burned = 0n;
  for (const [i, account] of earners.entries()) {
    burned += account.receivedAbit;
    state.setAccount({ ...touch(ctx, account.address), receivedAbit: 0n });
    creditAbc(ctx, account.address, rewards[i]!, true);
    pools = { ...pools, rewardPool: pools.rewardPool - rewards[i]! };
  }
  const totals = state.totals();
  state.setTotals({ ...totals, abitBurned: totals.abitBurned + burned });

  // 2. The worker fee pool by workload units; a node with a bad record is paid nothing and its units are dropped.
  const bad = new Set(accounts.filter((a) => a.bad).map((a) => a.address));
  const cheats = (n: NodeRecord) => n.rep.bad || bad.has(n.account);
  for (const node of nodes) if (node.workload > 0n && cheats(node)) state.setNode({ ...node, workload: 0n });
  const workers = nodes.filter((n) => n.workload > 0n && !cheats(n));
  const shares = proportional(pools.workerFeePool, workers.map((n) => n.workload));
  for (const [i, node] of workers.entries()) {
    creditAbc(ctx, node.account, shares[i]!, true);
    pools = { ...pools, workerFeePool: pools.workerFeePool - shares[i]! };
    state.setNode({ ...node, workload: 0n });
  }

  // 3. Freeze 20 % of each account's period income as an option tranche.
  accounts = snapshot(state).accounts;
  for (const account of accounts) {
    if (account.periodIncome === 0n) continue;
    const current = touch(ctx, account.address);
    const freeze = frozenPart(params, current.periodIncome);
    const options = freeze > 0n ? [...current.options, { total: freeze, released: 0n, start: time }] : current.options;
    state.setAccount({ ...current, abc: current.abc - freeze, options, periodIncome: 0n });
  }

  // 4. The ABIT chat allowance, by ABC held (balance + unreleased options), for holdings ≥ the minimum.
  accounts = snapshot(state).accounts;
  const holding = (a: AccountRecord): bigint => a.options.reduce((sum, t) => sum + t.total - t.released, a.abc);
  const eligible = accounts.filter((a) => holding(a) >= params.allowanceMinHolding && holding(a) > 0n);
  const allowances = proportional(allowanceBudget(params, r), eligible.map(holding));
  let minted = 0n;
  for (const [i, account] of eligible.entries()) {
    if (allowances[i]! === 0n) continue;
    minted += allowances[i]!;
    const current = state.account(account.address);
    state.setAccount({ ...current, abit: current.abit + allowances[i]! });
  }
  const afterBurn = state.totals();
  state.setTotals({ ...afterBurn, abitMinted: afterBurn.abitMinted + minted });

  // 5. Release U_{r+1} and open the next period.
  const release = fundRelease(params, r + 1n) < pools.fund ? fundRelease(params, r + 1n) : pools.fund;
  state.setPools({ ...pools, fund: pools.fund - release, rewardPool: pools.rewardPool + release });
  state.setChain({ ...chain, period: r + 1n, periodStart: time });
}
