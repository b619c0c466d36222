/**
 * Payment channels (SPEC §6 item 4): an escrow in ABC or ABIT with a list of payee nodes. A payee's payout
 * account settles the latest receipt: the ledger pays the difference to what that payee already got, never
 * more than the escrow holds; a client whose receipts exceed its escrow gets a bad record. ABC settles as the
 * payee's income; ABIT goes to its received-ABIT counter (burned for a work reward at period close). The client
 * closes in two steps: close starts the dispute window, a close after it returns the rest.
 */
import { bytesEqual, concatBytes, domainSeparated, sha256, u64be, utf8 } from '../crypto/index.ts';
import { LedgerError } from './errors.ts';
import { creditAbc, debitAbc, requireNode, touch, type TxContext } from './exec-context.ts';
import type { ChannelRecord, ChannelScore, NodeRecord } from './records.ts';
import { decodeAuthorization, decodeReceipt, type Receipt, verifyReceipt } from './receipt.ts';
import type { TxBody } from './tx.ts';

export const CHANNEL_DOMAIN_TAG = 'AME-CHANNEL-v1';

/** A channel's id: H(tag ‖ chain ‖ client address ‖ the opening transaction's nonce). */
export function channelId(chain: Uint8Array, client: string, nonce: bigint): Uint8Array {
  return sha256(domainSeparated(CHANNEL_DOMAIN_TAG, concatBytes(chain, utf8(client), new Uint8Array([0]), u64be(nonce))));
}

export function execChannelOpen(ctx: TxContext, body: TxBody<'channel-open'>): void {
  if (body.currency !== 'ABC' && body.currency !== 'ABIT') {
    throw new LedgerError('BAD_FIELD', 'currency is ABC or ABIT', { field: 'body.currency' });
  }
  if (body.amount === 0n) throw new LedgerError('BAD_FIELD', 'escrow must be positive', { field: 'body.amount' });
  for (const [i, payee] of body.payees.entries()) {
    if (body.payees.findIndex((p) => bytesEqual(p, payee)) !== i) {
      throw new LedgerError('BAD_FIELD', 'payee listed twice', { field: `body.payees[${i}]` });
    }
    const node = requireNode(ctx, payee, `body.payees[${i}]`);
    if (node.status !== 'active') throw new LedgerError('BAD_ROLE', `payee is ${node.status}`, { field: `body.payees[${i}]` });
  }
  const client = ctx.signer!;
  const id = channelId(ctx.chain.chainId, client, ctx.tx.nonce);
  if (ctx.state.channel(id) !== undefined) throw new LedgerError('CHANNEL_EXISTS', 'channel id in use', { field: 'nonce' });
  if (body.currency === 'ABC') {
    debitAbc(ctx, client, body.amount, 'body.amount');
  } else {
    const account = touch(ctx, client);
    if (account.abit < body.amount) {
      throw new LedgerError('INSUFFICIENT_FUNDS', `${client} holds ${account.abit} bt`, { field: 'body.amount' });
    }
    ctx.state.setAccount({ ...account, abit: account.abit - body.amount });
  }
  ctx.state.setChannel({
    id,
    client,
    currency: body.currency,
    escrow: body.amount,
    payees: body.payees,
    paid: body.payees.map(() => 0n),
    scores: body.payees.map(() => ({ nonce: 0n })),
    status: 'open',
    closeAt: 0n,
  });
}

function requireChannel(ctx: TxContext, id: Uint8Array, field: string): ChannelRecord {
  const channel = ctx.state.channel(id);
  if (channel === undefined) throw new LedgerError('UNKNOWN_CHANNEL', 'no such channel', { field });
  return channel;
}

/**
 * The client score a settled receipt carries (SPEC §6 item 5: "the latest per channel counts"): it replaces the
 * payee's score on this channel when it is the first, or when its receipt nonce is above the one that set the
 * current score — so a payee cannot bring back a better, older score by settling an older receipt. The node's
 * Σ and count of channel scores follow. Undefined when nothing changes.
 */
function scoreUpdate(
  current: ChannelScore,
  receipt: Receipt,
  node: NodeRecord,
): { score: ChannelScore; node: NodeRecord } | undefined {
  const { score, nonce } = receipt.fields;
  if (score === undefined) return undefined;
  if (current.score !== undefined && nonce <= current.nonce) return undefined;
  const old = current.score === undefined ? 0n : BigInt(current.score);
  const count = current.score === undefined ? 1n : 0n;
  const rep = { ...node.rep, scoreSum: node.rep.scoreSum - old + BigInt(score), scoreCount: node.rep.scoreCount + count };
  return { score: { nonce, score }, node: { ...node, rep } };
}

/** Returns what the settlement paid. */
export function execChannelSettle(ctx: TxContext, body: TxBody<'channel-settle'>): bigint {
  const receipt = decodeReceipt(body.receipt);
  const auth = decodeAuthorization(body.authorization);
  const channel = requireChannel(ctx, receipt.fields.channel, 'body.receipt.channel');
  if (channel.status === 'closed' || (channel.status === 'closing' && ctx.time >= channel.closeAt)) {
    throw new LedgerError('CHANNEL_CLOSED', 'the channel no longer accepts settlements', { field: 'body.receipt.channel' });
  }
  const index = channel.payees.findIndex((p) => bytesEqual(p, receipt.fields.payee));
  if (index < 0) throw new LedgerError('BAD_RECEIPT', 'payee is not on this channel', { field: 'body.receipt.payee' });
  const node = requireNode(ctx, receipt.fields.payee, 'body.receipt.payee');
  if (node.account !== ctx.signer) {
    throw new LedgerError('NOT_AUTHORISED', "only the payee's payout account settles", { field: 'signer' });
  }
  verifyReceipt(receipt, auth, channel.client, Number(ctx.time), ctx.verify);
  const already = channel.paid[index]!;
  const owed = receipt.fields.amount > already ? receipt.fields.amount - already : 0n;
  const pay = owed < channel.escrow ? owed : channel.escrow;
  if (owed > channel.escrow) {
    const client = touch(ctx, channel.client);
    ctx.state.setAccount({ ...client, bad: true });
  }
  const paid = [...channel.paid];
  paid[index] = already + pay;
  const scores = [...channel.scores];
  const scored = scoreUpdate(channel.scores[index]!, receipt, node);
  if (scored !== undefined) {
    scores[index] = scored.score;
    ctx.state.setNode(scored.node);
  }
  ctx.state.setChannel({ ...channel, escrow: channel.escrow - pay, paid, scores });
  if (channel.currency === 'ABC') {
    creditAbc(ctx, node.account, pay, true);
  } else if (pay > 0n) {
    const payee = touch(ctx, node.account);
    ctx.state.setAccount({ ...payee, receivedAbit: payee.receivedAbit + pay });
  }
  return pay;
}

export function execChannelClose(ctx: TxContext, body: TxBody<'channel-close'>): void {
  const channel = requireChannel(ctx, body.channel, 'body.channel');
  if (channel.client !== ctx.signer) throw new LedgerError('NOT_AUTHORISED', 'only the client closes', { field: 'signer' });
  if (channel.status === 'closed') throw new LedgerError('CHANNEL_CLOSED', 'already closed', { field: 'body.channel' });
  if (channel.status === 'open') {
    ctx.state.setChannel({ ...channel, status: 'closing', closeAt: ctx.time + ctx.params.channelDisputeMs });
    return;
  }
  if (ctx.time < channel.closeAt) {
    throw new LedgerError('TOO_EARLY', `the dispute window ends at ${channel.closeAt}`, { field: 'body.channel' });
  }
  if (channel.currency === 'ABC') {
    creditAbc(ctx, channel.client, channel.escrow, false);
  } else {
    const client = touch(ctx, channel.client);
    ctx.state.setAccount({ ...client, abit: client.abit + channel.escrow });
  }
  ctx.state.setChannel({ ...channel, escrow: 0n, status: 'closed' });
}
