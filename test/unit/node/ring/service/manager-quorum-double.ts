/**
 * A test double of the managers' quorum collector (the real one will live in node/manager): it asks k of the n
 * manager keys, all in this process, for their share of a document, checks each share as a collector must, and
 * assembles them in set order. `raw` skips the assembly's checks, to hand servers certificates a real collector
 * would never publish (too few signers, repeats, outsiders).
 */
import { Ed25519KeyPair } from '../../../../../node/crypto/index.ts';
import {
  assembleManagersCertificate,
  checkManagerShare,
  signManagerShare,
  type Certify,
  type ManagersCertificate,
} from '../../../../../node/ring/index.ts';

export function managerKeys(n: number, base = 40): Ed25519KeyPair[] {
  return Array.from({ length: n }, (_, i) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(base + i)));
}

export function managerSet(keys: readonly Ed25519KeyPair[]): Uint8Array[] {
  return keys.map((k) => Uint8Array.from(k.publicKey.bytes));
}

/** Certifies with the shares of `signers` (indices into `keys`), checked and assembled against `set`. */
export function quorumCertify(keys: readonly Ed25519KeyPair[], signers: readonly number[], set = managerSet(keys)): Certify {
  return async ({ tag, bytes, epoch }) => {
    const shares = await Promise.all(
      signers.map(async (i) => {
        const share = signManagerShare(keys[i]!, tag, bytes, epoch);
        checkManagerShare(set, share, tag, bytes, epoch);
        return share;
      }),
    );
    return assembleManagersCertificate(set, epoch, shares);
  };
}

/** The unchecked certificate the given signers' shares make, in the given order (repeats kept). */
export function rawCertify(signers: readonly Ed25519KeyPair[]): Certify {
  return async ({ tag, bytes, epoch }): Promise<ManagersCertificate> => ({
    kind: 'managers',
    epoch,
    entries: signers.map((key) => signManagerShare(key, tag, bytes, epoch)),
  });
}
