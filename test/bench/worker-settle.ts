/**
 * Settlement in the worker bench's loop: the worker's own Settler (node/worker/payments/settler.ts) runs rounds
 * against the rig's channel records, and its channel-settle transactions are applied to them here — the part of
 * the ledger's execChannelSettle a payee's money depends on, with the ledger's own decoders and checks: the
 * transaction decodes strictly, is a channel-settle signed by the payout account at its next nonce, its receipt
 * verifies under the channel client's session authorisation (verifyReceipt), and the channel pays the difference
 * to what it already paid this payee, never more than its escrow. Consensus, fees, node records and scores are
 * left out (the consensus bench measures those); a settlement is final when submit() returns.
 */
import { type AccountKey, bytesEqual, toHex, verifyAny } from '../../node/crypto/index.ts';
import { decodeAuthorization, decodeReceipt, decodeTx, signerAddress, txSigningBytes, verifyReceipt } from '../../node/ledger/index.ts';
import { type ChannelInfo, type SettlePolicy, Settler } from '../../node/worker/payments/index.ts';
import type { WorkerRig } from '../support/worker-rig.ts';

/** Settle whatever is unsettled at every round: the most settlement work a bench run can put on the worker. */
export const BENCH_SETTLE_POLICY: SettlePolicy = { threshold: 1n, maxAgeMs: 0, deadlineMarginMs: 60_000 };

export interface BenchSettlement {
  readonly settler: Settler;
  /** One Settler round (learn payouts, submit what is due). */
  round(): Promise<void>;
  /** Runs a round every `everyMs` until stop(). */
  start(everyMs: number): void;
  stop(): Promise<void>;
  /** Settlements applied, and what they paid in all. */
  readonly applied: { readonly count: number; readonly paid: bigint; readonly refused: number };
}

export function startBenchSettlement(rig: WorkerRig, payout: AccountKey, chain: Uint8Array): BenchSettlement {
  let nonce = 0n;
  let count = 0;
  let paid = 0n;
  let refused = 0;
  const self = rig.workerKey.publicKey.bytes;
  const apply = (bytes: Uint8Array): void => {
    const tx = decodeTx(bytes);
    if (tx.kind !== 'channel-settle') throw new Error(`not a settlement: ${tx.kind}`);
    if (!bytesEqual(tx.chain, chain)) throw new Error('another chain');
    if (signerAddress(tx) !== payout.address) throw new Error("not the payee's payout account");
    const sig = tx.sigs.find((s) => s.i === 0)?.sig;
    if (sig === undefined || !verifyAny(tx.signer.scheme as 'ecdsa', tx.signer.key, txSigningBytes(tx), sig)) throw new Error('bad signature');
    if (tx.nonce !== nonce) throw new Error(`nonce ${tx.nonce}, expected ${nonce}`);
    nonce += 1n;
    const receipt = decodeReceipt(tx.body.receipt);
    const auth = decodeAuthorization(tx.body.authorization);
    const key = toHex(receipt.fields.channel);
    const channel = rig.channels.get(key);
    if (channel === undefined || channel.status !== 'open') throw new Error('no open channel');
    const index = channel.payees.findIndex((p) => bytesEqual(p, receipt.fields.payee));
    if (index < 0 || !bytesEqual(receipt.fields.payee, self)) throw new Error('not a payee');
    verifyReceipt(receipt, auth, channel.client, Date.now());
    const already = channel.paid[index]!;
    const owed = receipt.fields.amount > already ? receipt.fields.amount - already : 0n;
    const pay = owed < channel.escrow ? owed : channel.escrow;
    const after: ChannelInfo = { ...channel, escrow: channel.escrow - pay, paid: channel.paid.map((p, i) => (i === index ? p + pay : p)) };
    rig.channels.set(key, after);
    count += 1;
    paid += pay;
  };
  const settler = new Settler({
    book: rig.book,
    self,
    payout,
    chain,
    channels: (id) => rig.channels.get(toHex(id)),
    nonce: () => nonce,
    submit: async (tx) => {
      try {
        apply(tx);
      } catch (error) {
        refused += 1;
        throw error;
      }
    },
    policy: BENCH_SETTLE_POLICY,
    now: Date.now,
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const round = async () => {
    await settler.round();
  };
  return {
    settler,
    round,
    start(everyMs) {
      timer ??= setInterval(() => {
        running ??= round().finally(() => (running = undefined));
      }, everyMs);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
    get applied() {
      return { count, paid, refused };
    },
  };
}
