/**
 * dueChannels: what to settle now — over the threshold, waited too long, authorisation about to expire, channel
 * closing — most urgent first; nothing already paid, nothing the ledger would refuse any more.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../../node/crypto/index.ts';
import {
  type ChannelInfo,
  dueChannels,
  type SettlePolicy,
  type UnsettledReceipt,
} from '../../../../../node/worker/payments/index.ts';
import { HOUR, refusal, seeded, T0 } from './payments-fixtures.ts';

const policy: SettlePolicy = { threshold: 1_000n, maxAgeMs: HOUR, deadlineMarginMs: 10 * 60_000 };
const id = (n: number): Uint8Array => seeded(`due ${n}`);

function entry(n: number, patch: Partial<UnsettledReceipt> = {}): UnsettledReceipt {
  return { channel: id(n), amount: 100n, paid: 0n, since: T0, expiresAt: T0 + 24 * HOUR, ...patch };
}

function view(infos: Record<number, Partial<ChannelInfo>> = {}) {
  const map = new Map(
    Object.entries(infos).map(([n, patch]) => [
      toHex(id(Number(n))),
      { client: 'x', status: 'open', escrow: 10n ** 9n, payees: [], paid: [], closeAt: 0n, ...patch } as ChannelInfo,
    ]),
  );
  return (channel: Uint8Array) => map.get(toHex(channel));
}

/** [entry number, reason, unsettled] per due channel. */
const summary = (due: ReturnType<typeof dueChannels>) =>
  due.map((d) => [[0, 1, 2, 3, 4, 5, 6].find((n) => toHex(id(n)) === toHex(d.channel)), d.reason, d.unsettled]);

describe('dueChannels', () => {
  it('lists nothing young, small and far from a deadline', () => {
    expect(dueChannels([entry(0)], policy, T0 + 1000, view())).toEqual([]);
  });

  it('gives each reason at its edge', () => {
    const now = T0 + HOUR;
    const due = dueChannels(
      [
        entry(1, { amount: 1_000n }), // exactly the threshold
        entry(2, { since: T0 }), // waited exactly maxAgeMs
        entry(3, { expiresAt: now + policy.deadlineMarginMs }), // expires within the margin
        entry(4, { since: T0 + 1 }), // one ms short of maxAgeMs
        entry(5, { amount: 999n, since: now }), // one short of the threshold
      ],
      policy,
      now,
      view({ 6: { status: 'closing', closeAt: BigInt(now + 1) } }),
    );
    expect(summary(due)).toEqual([
      [3, 'expiring', 100n],
      [1, 'threshold', 1_000n],
      [2, 'age', 100n],
    ]);
  });

  it('settles a closing channel at once, until its window ends', () => {
    const now = T0 + 1000;
    const infos = { 1: { status: 'closing' as const, closeAt: BigInt(now + 5 * HOUR) }, 2: { status: 'closing' as const, closeAt: BigInt(now) } };
    expect(summary(dueChannels([entry(1), entry(2), entry(3, { amount: 5_000n })], policy, now, view(infos)))).toEqual([
      [1, 'closing', 100n],
      [3, 'threshold', 5_000n],
    ]);
  });

  it('leaves out what is paid, a closed channel and an expired authorisation', () => {
    const now = T0 + 2 * HOUR;
    const due = dueChannels(
      [entry(1, { amount: 5_000n, paid: 5_000n }), entry(2, { amount: 5_000n }), entry(3, { amount: 5_000n, expiresAt: now })],
      policy,
      now,
      view({ 2: { status: 'closed' } }),
    );
    expect(due).toEqual([]);
  });

  it('orders larger unsettled amounts first within a reason, counting only the unpaid part', () => {
    const due = dueChannels(
      [entry(1, { amount: 3_000n, paid: 1_500n }), entry(2, { amount: 2_000n }), entry(3, { amount: 1_200n })],
      policy,
      T0,
      view(),
    );
    expect(summary(due)).toEqual([
      [2, 'threshold', 2_000n],
      [1, 'threshold', 1_500n],
      [3, 'threshold', 1_200n],
    ]);
  });

  it('refuses a policy out of range', () => {
    expect(refusal(() => dueChannels([], { ...policy, threshold: -1n }, T0, view())).field).toBe('policy.threshold');
    expect(refusal(() => dueChannels([], { ...policy, maxAgeMs: Number.NaN }, T0, view())).field).toBe('policy.maxAgeMs');
  });
});
