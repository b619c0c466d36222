/**
 * Who may sign which transaction, and the signature checks of each signer class (docs/ledger.md "Transactions"):
 *
 * - account: an account key (falcon | ecdsa), plus the node key of a registration or the new account of a re-bind;
 * - manager: one active manager's node key (ed25519);
 * - governance: a threshold of the genesis governance (recovery) keys (scheme 'governance', i = key index);
 * - managers: at least ⌊2n/3⌋ + 1 of the n node keys of the current manager set (scheme 'managers', i = index in
 *   `meta/managers`) — for `reconfigure` only, which may also be signed by the governance keys.
 *
 * `signerClassOf(kind)` names the class whose nonce and fee rules a kind follows: 'governance' for reconfigure
 * whichever way it is signed (both ways spend chain.govNonce, one counter for every manager-set change).
 */
import { addressFromPublicKey, Ed25519PublicKey, isScheme, verifyAny, type VerifySig } from '../crypto/index.ts';
import { quorum } from './block.ts';
import { LedgerError } from './errors.ts';
import { isActiveManager } from './exec-context.ts';
import type { GovernanceRecord } from './records.ts';
import type { StateView } from './state.ts';
import type { Tx, TxKind, TxSig } from './tx.ts';

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
const MANAGER_KINDS: ReadonlySet<TxKind> = new Set([
  'attach',
  'promote',
  'remove',
  'ring-change',
  'period-close',
  'node-report',
]);

export type SignerClass = 'account' | 'manager' | 'governance' | 'managers';

/** The class whose nonce and fee rules a kind follows ('governance' for set-param and reconfigure). */
export function signerClassOf(kind: TxKind): Exclude<SignerClass, 'managers'> {
  return ACCOUNT_KINDS.has(kind) ? 'account' : MANAGER_KINDS.has(kind) ? 'manager' : 'governance';
}

/** The class that signed this transaction: as signerClassOf, but 'managers' for a reconfigure signed by the set. */
export function txSignerClass(tx: Tx): SignerClass {
  return tx.kind === 'reconfigure' && tx.signer.scheme === 'managers' ? 'managers' : signerClassOf(tx.kind);
}

function sigOf(tx: Tx, i: number): Uint8Array {
  const found = tx.sigs.find((x) => x.i === i);
  if (found === undefined) throw new LedgerError('BAD_SIGNATURE', `signature ${i} is missing`, { field: `sigs` });
  return found.sig;
}

function verifyNodeSig(verify: VerifySig, key: Uint8Array, message: Uint8Array, sig: Uint8Array, field: string): void {
  if (verify('ed25519', key, message, sig)) return;
  try {
    new Ed25519PublicKey(key);
  } catch (cause) {
    throw new LedgerError('BAD_FIELD', 'not an Ed25519 public key', { field, cause });
  }
  throw new LedgerError('BAD_SIGNATURE', 'node key signature does not verify', { field });
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

function distinct(seen: Set<number>, i: number, n: number): void {
  if (seen.has(i)) throw new LedgerError('BAD_FIELD', `signature index ${i} twice`, { field: `sigs[${n}].i` });
  seen.add(i);
}

/**
 * A threshold of the governance keys: every signature names a key by index and verifies (BAD_FIELD /
 * BAD_SIGNATURE naming it), and at least `threshold` distinct keys signed (NOT_AUTHORISED otherwise).
 */
export function checkGovernanceSigs(
  gov: Pick<GovernanceRecord, 'keys' | 'threshold'>,
  message: Uint8Array,
  sigs: readonly TxSig[],
  verify: VerifySig = verifyAny,
): void {
  const seen = new Set<number>();
  for (const [n, { i, sig }] of sigs.entries()) {
    const key = gov.keys[i];
    if (key === undefined || !isScheme(key.scheme)) {
      throw new LedgerError('BAD_FIELD', `no governance key ${i}`, { field: `sigs[${n}].i` });
    }
    distinct(seen, i, n);
    if (!verify(key.scheme, key.key, message, sig)) {
      throw new LedgerError('BAD_SIGNATURE', `governance key ${i} did not sign`, { field: `sigs[${n}].sig` });
    }
  }
  if (seen.size < gov.threshold) {
    throw new LedgerError('NOT_AUTHORISED', `${seen.size} of the ${gov.threshold} governance signatures needed`, { field: 'sigs' });
  }
}

/**
 * Two thirds of the manager set: every signature names a member by its index in `managers` and verifies
 * (BAD_FIELD / BAD_SIGNATURE naming it), and at least ⌊2n/3⌋ + 1 distinct members signed (NOT_AUTHORISED).
 */
export function checkManagersSigs(
  managers: readonly Uint8Array[],
  message: Uint8Array,
  sigs: readonly TxSig[],
  verify: VerifySig = verifyAny,
): void {
  const seen = new Set<number>();
  for (const [n, { i, sig }] of sigs.entries()) {
    const key = managers[i];
    if (key === undefined) throw new LedgerError('BAD_FIELD', `no manager ${i} in a set of ${managers.length}`, { field: `sigs[${n}].i` });
    distinct(seen, i, n);
    if (!verify('ed25519', key, message, sig)) {
      throw new LedgerError('BAD_SIGNATURE', `manager ${i} did not sign`, { field: `sigs[${n}].sig` });
    }
  }
  const need = quorum(managers.length);
  if (seen.size < need) {
    throw new LedgerError('NOT_AUTHORISED', `${seen.size} manager signatures, ${need} of ${managers.length} needed`, {
      field: 'sigs',
    });
  }
}

/**
 * Verifies every signature the transaction needs (through `verify`, which may remember valid ones);
 * BAD_SIGNATURE / BAD_FIELD / NOT_AUTHORISED.
 */
export function checkSignatures(state: StateView, tx: Tx, message: Uint8Array, verify: VerifySig = verifyAny): void {
  const cls = signerClassOf(tx.kind);
  if (tx.signer.scheme === 'managers' && tx.kind !== 'reconfigure') {
    throw new LedgerError('BAD_FIELD', `only reconfigure is signed by the manager set, not ${tx.kind}`, { field: 'signer.scheme' });
  }
  if (cls === 'account') {
    signerAddress(tx);
    if (!verify(tx.signer.scheme as 'falcon' | 'ecdsa', tx.signer.key, message, sigOf(tx, 0))) {
      throw new LedgerError('BAD_SIGNATURE', 'account signature does not verify', { field: 'sigs[0]' });
    }
    if (tx.kind === 'register') verifyNodeSig(verify, tx.body.node, message, sigOf(tx, 1), 'sigs[1]');
    if (tx.kind === 'rebind') {
      const { scheme, key } = tx.body;
      if (!isScheme(scheme) || !verify(scheme, key, message, sigOf(tx, 1))) {
        throw new LedgerError('BAD_SIGNATURE', 'the new account did not sign the re-bind', { field: 'sigs[1]' });
      }
    }
    return;
  }
  if (cls === 'manager') {
    if (tx.signer.scheme !== 'ed25519') {
      throw new LedgerError('BAD_FIELD', `${tx.kind} is signed by a manager's node key`, { field: 'signer.scheme' });
    }
    verifyNodeSig(verify, tx.signer.key, message, sigOf(tx, 0), 'sigs[0]');
    if (!isActiveManager({ state }, tx.signer.key)) {
      throw new LedgerError('NOT_AUTHORISED', 'signer is not a manager', { field: 'signer.key' });
    }
    return;
  }
  if (tx.signer.scheme === 'managers') {
    checkManagersSigs(state.managers().keys, message, tx.sigs, verify);
    return;
  }
  if (tx.signer.scheme !== 'governance') {
    const by = tx.kind === 'reconfigure' ? 'the governance keys or two thirds of the manager set' : 'the governance keys';
    throw new LedgerError('BAD_FIELD', `${tx.kind} is signed by ${by}`, { field: 'signer.scheme' });
  }
  checkGovernanceSigs(state.governance(), message, tx.sigs, verify);
}
