/** The public API of node/worker/payments: the off-ledger side of payment channels (SPEC §6 item 4). */
export { FIRST_NONCE, MAX_U64, receiptHash } from './amounts.ts';
export { type Accepted, type LatestReceipt, ReceiptBook, type ReceiptBookOptions, type Taken } from './book.ts';
export { type BookRow, type BookStore, MemoryBookStore, SqliteBookStore } from './book-store.ts';
export { nextTurn, type Scheduler, type SharedCommit } from './group-commit.ts';
export {
  type ChannelInfo,
  type ChannelView,
  checkReceipt,
  type CheckedReceipt,
  type PreviousReceipt,
  type ReceiptCheck,
  Sessions,
} from './receipt-check.ts';
export { receiptSignedBytes, signedReceiptBytes } from './receipt-bytes.ts';
export { type DueChannel, type DueReason, dueChannels, type SettlePolicy, type UnsettledReceipt } from './settle-policy.ts';
export { settleFields, type SettleTxOptions, signSettleTx } from './settle-tx.ts';
export { ChannelSpender, type ChannelSpenderOptions, type Payment, type SpenderChannel } from './spender.ts';
export { MemorySpenderStore, type SpenderState, type SpenderStore, SqliteSpenderStore } from './spender-store.ts';
export { PAYMENTS_FORMAT } from './sqlite.ts';
export { type SettleRound, Settler, type SettlerOptions } from './settler.ts';
