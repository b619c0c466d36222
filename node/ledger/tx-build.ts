/**
 * Making signed transactions (wallets, managers, tests): fill in the unsigned fields, sign the signing bytes
 * with every key the kind needs, encode.
 */
import type { AccountKey, Ed25519KeyPair } from '../crypto/index.ts';
import { encodeTx, type SignerScheme, type Tx, type TxBody, type TxKind, type TxSig, txSigningBytes, type UnsignedTx } from './tx.ts';

export interface TxFields<K extends TxKind> {
  readonly chain: Uint8Array;
  readonly kind: K;
  readonly nonce: bigint;
  readonly fee?: bigint;
  readonly body: TxBody<K>;
}

function build<K extends TxKind>(fields: TxFields<K>, scheme: SignerScheme, key: Uint8Array): UnsignedTx {
  return {
    chain: fields.chain,
    kind: fields.kind,
    signer: { scheme, key },
    nonce: fields.nonce,
    fee: fields.fee ?? 0n,
    body: fields.body,
  } as UnsignedTx;
}

/**
 * A transaction signed by an account key; `second` adds signature 1 (the node key of a registration, the new
 * account of a re-bind).
 */
export function signAccountTx<K extends TxKind>(
  fields: TxFields<K>,
  account: AccountKey,
  second?: AccountKey | Ed25519KeyPair,
): Tx {
  const unsigned = build(fields, account.scheme, account.publicKey);
  const message = txSigningBytes(unsigned);
  const sigs: TxSig[] = [{ i: 0, sig: account.sign(message) }];
  if (second !== undefined) sigs.push({ i: 1, sig: second.sign(message) });
  return { ...unsigned, sigs };
}

/** A transaction signed by a manager's node key. */
export function signManagerTx<K extends TxKind>(fields: TxFields<K>, node: Ed25519KeyPair): Tx {
  const unsigned = build(fields, 'ed25519', node.publicKey.bytes);
  return { ...unsigned, sigs: [{ i: 0, sig: node.sign(txSigningBytes(unsigned)) }] };
}

/** A governance transaction signed by the given keys (index = position in the genesis governance list). */
export function signGovernanceTx<K extends TxKind>(
  fields: TxFields<K>,
  keys: readonly { readonly index: number; readonly key: AccountKey }[],
): Tx {
  const unsigned = build(fields, 'governance', new Uint8Array(0));
  const message = txSigningBytes(unsigned);
  return { ...unsigned, sigs: keys.map(({ index, key }) => ({ i: index, sig: key.sign(message) })) };
}

/**
 * The unsigned form of a transaction that several parties sign on their own (the governance keys, offline; the
 * members of the manager set, each on its server): each makes its share with `txShare` over this same value, and
 * `withSigs` puts the shares together. Governance: scheme 'governance', index = position of the key in the
 * genesis governance list. Manager set (reconfigure only): scheme 'managers', index = position of the node key in
 * the current `meta/managers` record. Both spend chain.govNonce and carry no fee.
 */
export function unsignedTx<K extends TxKind>(fields: TxFields<K>, scheme: 'governance' | 'managers'): UnsignedTx {
  return build(fields, scheme, new Uint8Array(0));
}

/** One party's signature of a multi-party transaction. */
export function txShare(unsigned: UnsignedTx, index: number, key: AccountKey | Ed25519KeyPair): TxSig {
  return { i: index, sig: key.sign(txSigningBytes(unsigned)) };
}

export function withSigs(unsigned: UnsignedTx, sigs: readonly TxSig[]): Tx {
  return { ...unsigned, sigs: [...sigs] };
}

/** A reconfigure signed by members of the current manager set (index = position in `meta/managers`). */
export function signManagersTx(
  fields: TxFields<'reconfigure'>,
  signers: readonly { readonly index: number; readonly key: Ed25519KeyPair }[],
): Tx {
  const unsigned = unsignedTx(fields, 'managers');
  return withSigs(unsigned, signers.map(({ index, key }) => txShare(unsigned, index, key)));
}

export function encodeSigned(tx: Tx): Uint8Array {
  return encodeTx(tx);
}
