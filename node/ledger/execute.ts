/**
 * Executing one transaction inside a block. Admission (checkTx) decides whether the transaction may be in a
 * block at all: its chain, size, signatures, nonce, and a fee its signer can pay. A block holding a transaction
 * that fails admission is invalid (BAD_BLOCK). An admitted transaction always consumes its nonce and pays its
 * fee; its effects run in a child state layer and are kept only if they succeed — a failed transaction is
 * recorded in the block result with its error code and field.
 */
import { addressFromPublicKey, bytesEqual, Ed25519PublicKey, isScheme, verifySignature } from '../crypto/index.ts';
import { LedgerError } from './errors.ts';
import { execConvert, execTransfer } from './exec-accounts.ts';
import { execChannelClose, execChannelOpen, execChannelSettle } from './exec-channels.ts';
import { debitAbc, isActiveManager, type TxContext } from './exec-context.ts';
import { execRingChange, execSetParam } from './exec-governance.ts';
import { execAttach, execExit, execPromote, execRebind, execRegister, execRemove } from './exec-nodes.ts';
import type { LedgerParams } from './params.ts';
import { execPeriodClose } from './period.ts';
import type { ChainRecord } from './records.ts';
import type { StateView } from './state.ts';
import { type Tx, type TxKind, txSigningBytes } from './tx.ts';

const ACCOUNT_KINDS: ReadonlySet<TxKind> = new Set([
  'transfer',
  'convert',
  'register',
  'rebind',
  'exit',
  'channel-open',
  'channel-settle',
  'channel-close',
]);
const MANAGER_KINDS: ReadonlySet<TxKind> = new Set(['attach', 'promote', 'remove', 'ring-change', 'period-close']);

export type SignerClass = 'account' | 'manager' | 'governance';

export function signerClassOf(kind: TxKind): SignerClass {
  return ACCOUNT_KINDS.has(kind) ? 'account' : MANAGER_KINDS.has(kind) ? 'manager' : 'governance';
}

function sigOf(tx: Tx, i: number): Uint8Array {
  const found = tx.sigs.find((x) => x.i === i);
  if (found === undefined) throw new LedgerError('BAD_SIGNATURE', `signature ${i} is missing`, { field: `sigs` });
  return found.sig;
}

function verifyNodeSig(key: Uint8Array, message: Uint8Array, sig: Uint8Array, field: string): void {
  let verifier: Ed25519PublicKey;
  try {
    verifier = new Ed25519PublicKey(key);
  } catch (cause) {
    throw new LedgerError('BAD_FIELD', 'not an Ed25519 public key', { field, cause });
  }
  if (!verifier.verify(message, sig)) throw new LedgerError('BAD_SIGNATURE', 'node key signature does not verify', { field });
}

/** The signer's account address for account-signed kinds. */
export function signerAddress(tx: Tx): string {
  const { scheme, key } = tx.signer;
  if (!isScheme(scheme)) throw new LedgerError('BAD_FIELD', `${tx.kind} is signed by an account key`, { field: 'signer.scheme' });
  try {
    return addressFromPublicKey(scheme, key);
  } catch (cause) {
    throw new LedgerError('BAD_FIELD', 'not a public key of its scheme', { field: 'signer.key', cause });
  }
}

/** Verifies every signature the kind needs; BAD_SIGNATURE / BAD_FIELD / NOT_AUTHORISED. */
function checkSignatures(state: StateView, tx: Tx, message: Uint8Array): void {
  const cls = signerClassOf(tx.kind);
  if (cls === 'account') {
    signerAddress(tx);
    if (!verifySignature(tx.signer.scheme as 'falcon' | 'ecdsa', tx.signer.key, message, sigOf(tx, 0))) {
      throw new LedgerError('BAD_SIGNATURE', 'account signature does not verify', { field: 'sigs[0]' });
    }
    if (tx.kind === 'register') verifyNodeSig(tx.body.node, message, sigOf(tx, 1), 'sigs[1]');
    if (tx.kind === 'rebind') {
      const { scheme, key } = tx.body;
      if (!isScheme(scheme) || !verifySignature(scheme, key, message, sigOf(tx, 1))) {
        throw new LedgerError('BAD_SIGNATURE', 'the new account did not sign the re-bind', { field: 'sigs[1]' });
      }
    }
    return;
  }
  if (cls === 'manager') {
    if (tx.signer.scheme !== 'ed25519') {
      throw new LedgerError('BAD_FIELD', `${tx.kind} is signed by a manager's node key`, { field: 'signer.scheme' });
    }
    verifyNodeSig(tx.signer.key, message, sigOf(tx, 0), 'sigs[0]');
    if (!isActiveManager({ state }, tx.signer.key)) {
      throw new LedgerError('NOT_AUTHORISED', 'signer is not a manager', { field: 'signer.key' });
    }
    return;
  }
  if (tx.signer.scheme !== 'governance') {
    throw new LedgerError('BAD_FIELD', `${tx.kind} is signed by the governance keys`, { field: 'signer.scheme' });
  }
  const gov = state.governance();
  let valid = 0;
  for (const [n, { i, sig }] of tx.sigs.entries()) {
    const key = gov.keys[i];
    if (key === undefined || !isScheme(key.scheme)) {
      throw new LedgerError('BAD_FIELD', `no governance key ${i}`, { field: `sigs[${n}].i` });
    }
    if (!verifySignature(key.scheme, key.key, message, sig)) {
      throw new LedgerError('BAD_SIGNATURE', `governance key ${i} did not sign`, { field: `sigs[${n}].sig` });
    }
    valid++;
  }
  if (valid < gov.threshold) {
    throw new LedgerError('NOT_AUTHORISED', `${valid} of the ${gov.threshold} governance signatures needed`, { field: 'sigs' });
  }
}

export interface Admission {
  readonly signer: string | undefined;
}

/**
 * Whether `tx` (with encoded size `size`) may enter a block on this state: throws WRONG_CHAIN, BAD_FIELD,
 * BAD_SIGNATURE, NOT_AUTHORISED, BAD_NONCE, FEE_TOO_LOW or INSUFFICIENT_FUNDS.
 */
export function checkTx(state: StateView, params: LedgerParams, chain: ChainRecord, time: bigint, tx: Tx, size: number): Admission {
  if (!bytesEqual(tx.chain, chain.chainId)) throw new LedgerError('WRONG_CHAIN', 'made for another chain', { field: 'chain' });
  if (BigInt(size) > params.maxTxBytes) {
    throw new LedgerError('BAD_FIELD', `${size} bytes is over maxTxBytes ${params.maxTxBytes}`, { field: 'tx' });
  }
  checkSignatures(state, tx, txSigningBytes(tx));
  const cls = signerClassOf(tx.kind);
  if (cls === 'account') {
    const signer = signerAddress(tx);
    const expected = state.account(signer).nonce;
    if (tx.nonce !== expected) throw new LedgerError('BAD_NONCE', `expected nonce ${expected}`, { field: 'nonce' });
    if (tx.fee < params.minFee) throw new LedgerError('FEE_TOO_LOW', `minimum fee is ${params.minFee} a`, { field: 'fee' });
    // Throws INSUFFICIENT_FUNDS on a throw-away layer when the fee cannot be paid.
    debitAbc({ state: state.child(), params, time }, signer, tx.fee, 'fee');
    return { signer };
  }
  if (tx.fee !== 0n) throw new LedgerError('FEE_TOO_LOW', `${cls} transactions carry no fee`, { field: 'fee' });
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
    case 'set-param':
      return execSetParam(ctx, tx.body);
  }
}
