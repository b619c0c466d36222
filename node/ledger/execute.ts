/**
 * Executing one transaction inside a block. Admission (checkTx) decides whether the transaction may be in a
 * block at all: its chain, size, signatures, nonce, and a fee its signer can pay. A block holding a transaction
 * that fails admission is invalid (BAD_BLOCK). An admitted transaction always consumes its nonce and pays its
 * fee; its effects run in a child state layer and are kept only if they succeed — a failed transaction is
 * recorded in the block result with its error code and field.
 */
import { bytesEqual, verifyAny, type VerifySig } from '../crypto/index.ts';
import { LedgerError } from './errors.ts';
import { execConvert, execTransfer } from './exec-accounts.ts';
import { execChannelClose, execChannelOpen, execChannelSettle } from './exec-channels.ts';
import { debitAbc, type TxContext } from './exec-context.ts';
import { execRingChange, execSetParam } from './exec-governance.ts';
import { execAttach, execExit, execPromote, execRebind, execRegister, execRemove } from './exec-nodes.ts';
import { execReconfigure } from './exec-reconfigure.ts';
import { execNodeReport } from './exec-report.ts';
import type { LedgerParams } from './params.ts';
import { execPeriodClose } from './period.ts';
import type { ChainRecord } from './records.ts';
import { checkSignatures, signerClassOf, txSignerClass } from './signers.ts';
import type { StateView } from './state.ts';
import { type Tx, txSigningBytes } from './tx.ts';
import { signerWith, type TxMemo } from './tx-memo.ts';

export { type SignerClass, signerAddress, signerClassOf, txSignerClass } from './signers.ts';

export interface Admission {
  readonly signer: string | undefined;
}

/**
 * Whether `tx` (with encoded size `size`) may enter a block on this state: throws WRONG_CHAIN, BAD_FIELD,
 * BAD_SIGNATURE, NOT_AUTHORISED, BAD_NONCE, FEE_TOO_LOW or INSUFFICIENT_FUNDS. `verify` checks the signatures
 * (a manager passes one that remembers those it already found valid); `memo` remembers the signing bytes.
 */
export function checkTx(
  state: StateView,
  params: LedgerParams,
  chain: ChainRecord,
  time: bigint,
  tx: Tx,
  size: number,
  verify: VerifySig = verifyAny,
  memo?: TxMemo,
): Admission {
  if (!bytesEqual(tx.chain, chain.chainId)) throw new LedgerError('WRONG_CHAIN', 'made for another chain', { field: 'chain' });
  if (BigInt(size) > params.maxTxBytes) {
    throw new LedgerError('BAD_FIELD', `${size} bytes is over maxTxBytes ${params.maxTxBytes}`, { field: 'tx' });
  }
  checkSignatures(state, tx, memo?.signingBytes(tx) ?? txSigningBytes(tx), verify);
  const cls = signerClassOf(tx.kind);
  if (cls === 'account') {
    const signer = signerWith(memo, tx);
    const expected = state.account(signer).nonce;
    if (tx.nonce !== expected) throw new LedgerError('BAD_NONCE', `expected nonce ${expected}`, { field: 'nonce' });
    if (tx.fee < params.minFee) throw new LedgerError('FEE_TOO_LOW', `minimum fee is ${params.minFee} a`, { field: 'fee' });
    // Throws INSUFFICIENT_FUNDS on a throw-away layer when the fee cannot be paid.
    debitAbc({ state: state.child(), params, time }, signer, tx.fee, 'fee');
    return { signer };
  }
  if (tx.fee !== 0n) throw new LedgerError('FEE_TOO_LOW', `${txSignerClass(tx)} transactions carry no fee`, { field: 'fee' });
  const expected = cls === 'manager' ? state.node(tx.signer.key)!.nonce : state.chain().govNonce;
  if (tx.nonce !== expected) throw new LedgerError('BAD_NONCE', `expected nonce ${expected}`, { field: 'nonce' });
  return { signer: undefined };
}

/** Consumes the nonce and charges the fee on `state`. */
export function chargeTx(state: StateView, params: LedgerParams, time: bigint, tx: Tx, admission: Admission): void {
  const ctx = { state, params, time };
  if (admission.signer !== undefined) {
    debitAbc(ctx, admission.signer, tx.fee, 'fee');
    const account = state.account(admission.signer);
    state.setAccount({ ...account, nonce: account.nonce + 1n });
  } else if (signerClassOf(tx.kind) === 'manager') {
    const node = state.node(tx.signer.key)!;
    state.setNode({ ...node, nonce: node.nonce + 1n });
  } else {
    const chain = state.chain();
    state.setChain({ ...chain, govNonce: chain.govNonce + 1n });
  }
}

/** Runs the kind's effects on ctx.state. */
export function runTx(ctx: TxContext): void {
  const { tx } = ctx;
  switch (tx.kind) {
    case 'transfer':
      return execTransfer(ctx, tx.body);
    case 'convert':
      return execConvert(ctx, tx.body);
    case 'register':
      return execRegister(ctx, tx.body);
    case 'rebind':
      return execRebind(ctx, tx.body);
    case 'attach':
      return execAttach(ctx, tx.body);
    case 'promote':
      return execPromote(ctx, tx.body);
    case 'remove':
      return execRemove(ctx, tx.body);
    case 'exit':
      return execExit(ctx, tx.body);
    case 'ring-change':
      return execRingChange(ctx, tx.body);
    case 'channel-open':
      return execChannelOpen(ctx, tx.body);
    case 'channel-settle':
      execChannelSettle(ctx, tx.body);
      return;
    case 'channel-close':
      return execChannelClose(ctx, tx.body);
    case 'period-close':
      return execPeriodClose(ctx, tx.body);
    case 'node-report':
      return execNodeReport(ctx, tx.body);
    case 'set-param':
      return execSetParam(ctx, tx.body);
    case 'reconfigure':
      return execReconfigure(ctx, tx.body);
  }
}
