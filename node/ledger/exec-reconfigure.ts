/**
 * Manager-set reconfiguration (SPEC §7 "Recovery"; docs/ledger.md "Reconfiguration"). A `reconfigure` names the
 * whole next set in order, [{key, account}]. It is signed by two thirds of the current set or by a threshold of
 * the governance (recovery) keys of the genesis (signers.ts); both ways spend chain.govNonce.
 *
 * Effects: `meta/managers` := the listed keys; a key without a node record gets one (manager, active, no deposit,
 * bound to its account — as the genesis managers); a key with a record becomes an active manager (it keeps its
 * deposit and its payout account, which must be the one listed); a manager left out is `exited` and its deposit,
 * if it has one, goes back to its payout account (as an honest exit). The first reconfigure of a block keeps the
 * set it replaced in `meta/previous-managers`, against which the next block checks this block's certificate.
 */
import { parseAddress, toHex } from '../crypto/index.ts';
import { LedgerError } from './errors.ts';
import { creditAbc, requireNode, type TxContext } from './exec-context.ts';
import { newAccount, newReputation } from './records.ts';
import type { TxBody } from './tx.ts';

function checkEntries(body: TxBody<'reconfigure'>): void {
  const seen = new Set<string>();
  for (const [i, m] of body.managers.entries()) {
    const field = `body.managers[${i}]`;
    const hex = toHex(m.key);
    if (seen.has(hex)) throw new LedgerError('BAD_FIELD', 'manager listed twice', { field: `${field}.key` });
    seen.add(hex);
    try {
      if (parseAddress(m.account).text !== m.account) throw new Error('not in canonical form');
    } catch (cause) {
      throw new LedgerError('BAD_FIELD', `not an address: ${(cause as Error).message}`, { field: `${field}.account`, cause });
    }
  }
}

function admit(ctx: TxContext, key: Uint8Array, account: string, field: string): void {
  const { state } = ctx;
  if (state.account(account).bad) {
    throw new LedgerError('BAD_ROLE', 'a node with a bad record never enters the Manager Ring', { field: `${field}.account` });
  }
  const node = state.node(key);
  if (node === undefined) {
    if (!state.hasAccount(account)) state.setAccount(newAccount(account));
    state.setNode({
      key,
      role: 'manager',
      status: 'active',
      account,
      deposit: 0n,
      nonce: 0n,
      unity: '',
      workload: 0n,
      releaseAt: 0n,
      hardware: '',
      rep: newReputation(ctx.time),
    });
    return;
  }
  if (node.account !== account) {
    throw new LedgerError('BAD_FIELD', 'the node is bound to another payout account (re-bind it first)', {
      field: `${field}.account`,
    });
  }
  if (node.status === 'removed' || node.status === 'exiting') {
    throw new LedgerError('BAD_ROLE', `node is ${node.status}`, { field: `${field}.key` });
  }
  if (node.rep.bad) {
    throw new LedgerError('BAD_ROLE', 'a node with a bad record never enters the Manager Ring', { field: `${field}.key` });
  }
  state.setNode({ ...node, role: 'manager', status: 'active', unity: '', releaseAt: 0n });
}

export function execReconfigure(ctx: TxContext, body: TxBody<'reconfigure'>): void {
  checkEntries(body);
  const { state } = ctx;
  const before = state.managers().keys;
  for (const [i, m] of body.managers.entries()) admit(ctx, m.key, m.account, `body.managers[${i}]`);
  const staying = new Set(body.managers.map((m) => toHex(m.key)));
  for (const key of before) {
    if (staying.has(toHex(key))) continue;
    const node = requireNode(ctx, key, 'body.managers');
    creditAbc(ctx, node.account, node.deposit, false);
    state.setNode({ ...node, status: 'exited', deposit: 0n });
  }
  state.setManagers({ keys: body.managers.map((m) => m.key) });

  const height = ctx.chain.height + 1n;
  const recovery = ctx.tx.signer.scheme === 'governance';
  const previous = state.previousManagers();
  if (previous === undefined || previous.height !== height) {
    state.setPreviousManagers({ height, keys: before, recovery });
  } else if (recovery && !previous.recovery) {
    state.setPreviousManagers({ ...previous, recovery });
  }
}
