/**
 * When a payee settles (SPEC §6 item 4: "periodically or when its unsettled amount passes a threshold"). Each
 * settlement costs a transaction, so small amounts wait; but some receipts lose their value on a deadline and go
 * first: a closing channel pays nothing after its dispute window, and the ledger refuses a receipt whose session
 * authorisation has expired at block time.
 */
import { WorkerError } from '../errors.ts';
import { checkU64 } from './amounts.ts';
import type { ChannelView } from './receipt-check.ts';

export interface SettlePolicy {
  /** Settle once this much is unsettled on a channel. */
  readonly threshold: bigint;
  /** Settle once some amount has waited this long (ms). */
  readonly maxAgeMs: number;
  /** Settle when the authorisation expires within this margin (ms), allowing for a block to include the settlement. */
  readonly deadlineMarginMs: number;
}

/** Most urgent first. */
export type DueReason = 'closing' | 'expiring' | 'threshold' | 'age';
const URGENCY: readonly DueReason[] = ['closing', 'expiring', 'threshold', 'age'];

export interface DueChannel {
  readonly channel: Uint8Array;
  readonly unsettled: bigint;
  readonly reason: DueReason;
}

export interface UnsettledReceipt {
  readonly channel: Uint8Array;
  readonly amount: bigint;
  readonly paid: bigint;
  readonly since: number | null;
  readonly expiresAt: number;
}

export function checkPolicy(policy: SettlePolicy): void {
  checkU64(policy.threshold, 'policy.threshold');
  for (const field of ['maxAgeMs', 'deadlineMarginMs'] as const) {
    const value = policy[field];
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new WorkerError('BAD_VALUE', 'must be a non-negative number of ms', { field: `policy.${field}` });
    }
  }
}

function reasonFor(
  entry: UnsettledReceipt,
  unsettled: bigint,
  policy: SettlePolicy,
  now: number,
  channels: ChannelView,
): DueReason | undefined {
  const channel = channels(entry.channel);
  if (channel?.status === 'closed' || now >= entry.expiresAt) return undefined;
  // No new receipt is taken on a closing channel, so waiting can only run into the end of its window.
  if (channel?.status === 'closing') return now < Number(channel.closeAt) ? 'closing' : undefined;
  if (entry.expiresAt - now <= policy.deadlineMarginMs) return 'expiring';
  if (unsettled >= policy.threshold) return 'threshold';
  if (entry.since !== null && now - entry.since >= policy.maxAgeMs) return 'age';
  return undefined;
}

/** The channels to settle now, most urgent first, larger amounts first within a reason. */
export function dueChannels(
  entries: Iterable<UnsettledReceipt>,
  policy: SettlePolicy,
  now: number,
  channels: ChannelView,
): DueChannel[] {
  checkPolicy(policy);
  const due: DueChannel[] = [];
  for (const entry of entries) {
    if (entry.amount <= entry.paid) continue;
    const unsettled = entry.amount - entry.paid;
    const reason = reasonFor(entry, unsettled, policy, now, channels);
    if (reason !== undefined) due.push({ channel: Uint8Array.from(entry.channel), unsettled, reason });
  }
  return due.sort((a, b) => {
    const byReason = URGENCY.indexOf(a.reason) - URGENCY.indexOf(b.reason);
    if (byReason !== 0) return byReason;
    return a.unsettled === b.unsettled ? 0 : a.unsettled > b.unsettled ? -1 : 1;
  });
}
