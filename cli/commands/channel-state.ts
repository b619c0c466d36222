/**
 * What a channel's local entry becomes once its transactions are known: the open transaction final (open) or
 * failed, one close final (closing: the dispute window runs until the close block's time + channelDisputeMs), two
 * (closed). The entry keeps the hashes, so a command that timed out waiting is settled by the next `status`.
 * Also the view `ame channel status` prints: the entry with what the spender store says was signed.
 */
import type { ChannelEntry, ClientFolder } from '../../node/client/client-folder.ts';
import { fromHex } from '../../node/crypto/index.ts';
import { ExplorerError, type ExplorerClient } from '../../node/manager/explorer/index.ts';
import { formatAmount } from '../../node/wire/index.ts';
import type { CliIO } from '../io.ts';

type Outcome = { final: false } | { final: true; ok: boolean; height: string };

async function outcome(client: ExplorerClient, hash: string): Promise<Outcome> {
  try {
    const tx = await client.tx(hash);
    return tx.status === 'final' ? { final: true, ok: tx.ok === true, height: String(tx.height) } : { final: false };
  } catch (error) {
    if (error instanceof ExplorerError && error.code === 'NOT_FOUND') return { final: false };
    throw error;
  }
}

/** Whether the entry has a transaction whose outcome it does not record yet. */
export function unsettled(entry: ChannelEntry): boolean {
  const settledCloses = entry.status === 'closed' ? 2 : entry.status === 'closing' ? 1 : 0;
  return entry.status === 'pending' || entry.closeTxs.length > settledCloses;
}

/** The entry brought up to date with the chain (and saved when it changed). */
export async function refresh(folder: ClientFolder, client: ExplorerClient, entry: ChannelEntry): Promise<ChannelEntry> {
  if (!unsettled(entry)) return entry;
  let next: ChannelEntry = entry;
  if (next.status === 'pending') {
    const open = await outcome(client, next.openTx);
    if (open.final) next = open.ok ? { ...next, status: 'open', openedAt: open.height } : { ...next, status: 'failed' };
  }
  if (next.status === 'open' || next.status === 'closing') {
    const kept: string[] = [];
    const done: string[] = [];
    for (const hash of next.closeTxs) {
      const close = await outcome(client, hash);
      if (close.final && !close.ok) continue; // a refused close (too early, say) changed nothing
      kept.push(hash);
      if (close.final) done.push(close.height);
    }
    next = { ...next, closeTxs: kept };
    if (done.length >= 2) next = { ...next, status: 'closed' };
    else if (done.length === 1 && next.status === 'open') {
      const time = BigInt((await client.block(done[0]!)).time);
      const window = BigInt(folder.chain()?.channelDisputeMs ?? '0');
      next = { ...next, status: 'closing', closeAt: String(time + window) };
    }
  }
  if (JSON.stringify(next) !== JSON.stringify(entry)) folder.putChannel(next);
  return next;
}

/** The printable view of a channel: its entry and what this folder has signed on it. */
export function channelView(folder: ClientFolder, entry: ChannelEntry) {
  const store = folder.openSpenderStore();
  try {
    const state = store.load(fromHex(entry.id));
    const owed = (key: string) => state.owed.get(key) ?? 0n;
    const signed = entry.payees.reduce((sum, p) => sum + owed(p.key), 0n);
    return {
      id: entry.id,
      status: entry.status,
      currency: entry.currency,
      escrow: entry.escrow,
      signed: signed.toString(),
      left: (BigInt(entry.escrow) - signed).toString(),
      receipts: (state.nextNonce - 1n).toString(),
      account: entry.account,
      payees: entry.payees.map((p) => ({ key: p.key, peer: p.peer, owed: owed(p.key).toString(), ...(p.contact === undefined ? {} : { contact: p.contact }) })),
      openTx: entry.openTx,
      ...(entry.openedAt === undefined ? {} : { openedAt: entry.openedAt }),
      closeTxs: entry.closeTxs,
      ...(entry.closeAt === undefined ? {} : { closeAt: entry.closeAt }),
    };
  } finally {
    store.close();
  }
}

export type ChannelView = ReturnType<typeof channelView>;

export function printChannel(io: CliIO, view: ChannelView): void {
  const amount = (micro: string) => formatAmount(BigInt(micro), view.currency);
  const status =
    view.status === 'open' ? `open (block ${view.openedAt ?? '?'})`
    : view.status === 'closing' ? `closing: payees settle until ${new Date(Number(view.closeAt ?? 0)).toISOString()}, then a second close returns the rest`
    : view.status === 'pending' ? `pending: transaction ${view.openTx} not final yet`
    : view.status;
  const rows: [string, string][] = [
    ['channel', view.id],
    ['status', status],
    ['escrow', amount(view.escrow)],
    ['signed', `${amount(view.signed)} in ${view.receipts} receipts; ${amount(view.left)} left`],
    ...view.payees.map((p): [string, string] => ['payee', `${p.peer}  owed ${amount(p.owed)}`]),
  ];
  for (const [k, v] of rows) io.stdout.write(`${k.padEnd(9)}${v}\n`);
}
