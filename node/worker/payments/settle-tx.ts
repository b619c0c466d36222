/**
 * The channel-settle transaction for a payee's latest receipt, made with the ledger's own builders. The payee's
 * payout account signs it: that may be the owner's wallet on another machine, so the unsigned fields are
 * offered as well as the signed bytes.
 */
import type { AccountKey } from '../../crypto/index.ts';
import { encodeSigned, signAccountTx, type TxFields } from '../../ledger/index.ts';
import { checkU64 } from './amounts.ts';

export interface SettleTxOptions {
  /** The genesis id of the chain. */
  readonly chain: Uint8Array;
  /** The payout account's next transaction nonce. */
  readonly nonce: bigint;
  readonly fee?: bigint;
}

export function settleFields(receipt: Uint8Array, authorization: Uint8Array, options: SettleTxOptions): TxFields<'channel-settle'> {
  return {
    chain: Uint8Array.from(options.chain),
    kind: 'channel-settle',
    nonce: checkU64(options.nonce, 'nonce'),
    fee: checkU64(options.fee ?? 0n, 'fee'),
    body: { receipt: Uint8Array.from(receipt), authorization: Uint8Array.from(authorization) },
  };
}

/** The encoded transaction, signed by the payout account. */
export function signSettleTx(fields: TxFields<'channel-settle'>, payout: AccountKey): Uint8Array {
  return encodeSigned(signAccountTx(fields, payout));
}
