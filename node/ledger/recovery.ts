/**
 * Recovery certificates (SPEC §7 "Recovery"; docs/ledger.md "Certificates"). When so many managers are gone that
 * no quorum can sign, the block that installs a new set is certified by the governance (recovery) keys of the
 * genesis instead: a certificate whose entries are {member: a governance public key, sig: its signature over
 * `certificateMessage(header hash)`} under the key's own account scheme (ecdsa | falcon), with at least
 * `threshold` distinct keys, every entry valid.
 *
 * A recovery certificate is valid only for a block that holds a governance-signed `reconfigure`, and only if the
 * manager set after the block is the one the last such transaction names: the recovery keys can hand the chain to
 * a new set, but cannot finalise arbitrary history on their own. Which kind a certificate is follows from its
 * first entry (a governance key ⇒ recovery; manager keys are 32-byte Ed25519 keys, governance keys never are).
 */
import { type AccountKey, bytesEqual, isScheme, toHex, verifyAny, verifySignature, type VerifySig } from '../crypto/index.ts';
import { type Certificate, certificateMessage, verifyCertificate } from './block.ts';
import { LedgerError } from './errors.ts';
import type { GovernanceRecord } from './records.ts';
import { decodeTx, type Tx, type TxBody } from './tx.ts';

/** The governance (recovery) keys and their threshold, as the genesis names them. */
export type RecoveryKeys = Pick<GovernanceRecord, 'keys' | 'threshold'>;
export type CertificateKind = 'managers' | 'recovery';
export type ReconfigureTx = Tx & { readonly kind: 'reconfigure'; readonly body: TxBody<'reconfigure'> };

/** One recovery-certificate entry: the governance key signs the block's certificate message. */
export function recoveryEntry(hash: Uint8Array, key: AccountKey): Certificate[number] {
  return { member: key.publicKey, sig: key.sign(certificateMessage(hash)) };
}

/** A recovery certificate over a header hash, one entry per key (give at least the threshold). */
export function signRecoveryCertificate(hash: Uint8Array, keys: readonly AccountKey[]): Certificate {
  return keys.map((key) => recoveryEntry(hash, key));
}

export function isRecoveryCertificate(certificate: Certificate, recovery: RecoveryKeys | undefined): boolean {
  const first = certificate[0];
  return first !== undefined && recovery !== undefined && recovery.keys.some((k) => bytesEqual(k.key, first.member));
}

/**
 * Checks a recovery certificate over `hash`: every entry a distinct governance key with a valid signature, and
 * at least `threshold` of them. BAD_CERTIFICATE naming the entry otherwise.
 */
export function verifyRecoveryCertificate(hash: Uint8Array, certificate: Certificate, recovery: RecoveryKeys): void {
  const message = certificateMessage(hash);
  const seen = new Set<string>();
  for (const [i, { member, sig }] of certificate.entries()) {
    const field = `certificate[${i}]`;
    const key = recovery.keys.find((k) => bytesEqual(k.key, member));
    if (key === undefined || !isScheme(key.scheme)) {
      throw new LedgerError('BAD_CERTIFICATE', 'signer is not a recovery key', { field });
    }
    const hex = toHex(member);
    if (seen.has(hex)) throw new LedgerError('BAD_CERTIFICATE', 'recovery key signed twice', { field });
    if (!verifySignature(key.scheme, key.key, message, sig)) {
      throw new LedgerError('BAD_CERTIFICATE', 'signature does not verify', { field });
    }
    seen.add(hex);
  }
  if (seen.size < recovery.threshold) {
    throw new LedgerError('BAD_CERTIFICATE', `${seen.size} recovery signatures, ${recovery.threshold} needed`, {
      field: 'certificate',
    });
  }
}

/** The last transaction of `txs` that decodes as a governance-signed reconfigure (undecodable ones skipped). */
export function lastGovernanceReconfigure(txs: readonly Uint8Array[]): { index: number; tx: ReconfigureTx } | undefined {
  for (let index = txs.length - 1; index >= 0; index--) {
    let tx: Tx;
    try {
      tx = decodeTx(txs[index]!);
    } catch (error) {
      if (error instanceof LedgerError) continue;
      throw error;
    }
    if (tx.kind === 'reconfigure' && tx.signer.scheme === 'governance') return { index, tx: tx as ReconfigureTx };
  }
  return undefined;
}

/** The governance-signed reconfigure a recovery-certified block must hold; BAD_CERTIFICATE when there is none. */
export function requireGovernanceReconfigure(txs: readonly Uint8Array[]): { index: number; tx: ReconfigureTx } {
  const found = lastGovernanceReconfigure(txs);
  if (found === undefined) {
    throw new LedgerError('BAD_CERTIFICATE', 'a recovery certificate certifies only a block holding a governance-signed reconfigure', {
      field: 'certificate',
    });
  }
  return found;
}

/** After a recovery-certified block: the manager set must be the one its last governance reconfigure names. */
export function checkRecoveryEffect(txs: readonly Uint8Array[], managersAfter: readonly Uint8Array[]): void {
  const { index, tx } = requireGovernanceReconfigure(txs);
  const named = tx.body.managers.map((m) => m.key);
  if (named.length !== managersAfter.length || named.some((key, i) => !bytesEqual(key, managersAfter[i]!))) {
    throw new LedgerError('BAD_CERTIFICATE', 'the recovery block did not install the set its governance reconfigure names', {
      field: `txs[${index}]`,
    });
  }
}

/**
 * A block's own certificate, either kind: a quorum of `managers` (verifyCertificate) or a recovery certificate
 * of a block holding a governance reconfigure (the effect is checked after execution: checkRecoveryEffect).
 */
export function verifyBlockCertificate(
  hash: Uint8Array,
  certificate: Certificate,
  txs: readonly Uint8Array[],
  managers: readonly Uint8Array[],
  recovery: RecoveryKeys | undefined,
  verify: VerifySig = verifyAny,
): CertificateKind {
  if (recovery !== undefined && isRecoveryCertificate(certificate, recovery)) {
    requireGovernanceReconfigure(txs);
    verifyRecoveryCertificate(hash, certificate, recovery);
    return 'recovery';
  }
  verifyCertificate(hash, certificate, managers, (k, m, s) => verify('ed25519', k, m, s));
  return 'managers';
}
