/**
 * Certificates by a quorum of the Manager Ring (SPEC.md §5 "Map certificates", §7): the managers sign a ring
 * map or a Unity view themselves, each with its Ed25519 node key, over exactly the document bytes the single
 * ring-authority key signs —
 *
 *   tag ‖ 0x00 ‖ SHA-256(document bytes) ‖ epoch (u64 big-endian)      (tag: 'AME-RING-MAP-v1' or 'AME-RING-VIEW-v1')
 *
 * — and a certificate is valid when at least quorum(n) = ⌊2n/3⌋ + 1 distinct members of the manager set signed
 * (the rule of the ledger's block certificates) and every entry it carries is valid. node/ring cannot see the
 * ledger, so the manager set (an ordered list of 32-byte keys) is injected by whoever holds it.
 *
 * Signing is split in two so each manager server can sign the same document on its own and one of them
 * publishes: `signManagerShare` makes one share, `assembleManagersCertificate` orders (set order) and
 * deduplicates shares into a certificate.
 */
import { bytesEqual, domainSeparated, Ed25519PublicKey, sha256, toHex, u64be, type Ed25519KeyPair } from '../crypto/index.ts';
import { RingError } from './errors.ts';

/** Upper bound on a manager set and on the entries of one certificate (a decoding limit, not a protocol rule). */
export const MAX_MANAGERS = 256;

/** One manager's signature over an epoch document. */
export interface ManagerSignature {
  /** The manager's 32-byte Ed25519 node key. */
  readonly member: Uint8Array;
  readonly sig: Uint8Array;
}

export interface ManagersCertificate {
  readonly kind: 'managers';
  readonly epoch: bigint;
  readonly entries: readonly ManagerSignature[];
}

/** Signatures a manager set of n needs: ⌊2n/3⌋ + 1 (5 of 6, 3 of 4, 1 of 1). */
export function managerQuorum(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

function documentMessage(tag: string, bytes: Uint8Array, epoch: bigint): Uint8Array {
  return domainSeparated(tag, sha256(bytes), u64be(epoch));
}

/** One manager's share over an epoch document (a map update or a Unity view). */
export function signManagerShare(key: Ed25519KeyPair, tag: string, bytes: Uint8Array, epoch: bigint): ManagerSignature {
  return { member: Uint8Array.from(key.publicKey.bytes), sig: key.sign(documentMessage(tag, bytes, epoch)) };
}

/**
 * Public keys of a manager set, made once per distinct key (building a key object costs more than comparing
 * bytes). Bounded: a set that changes often only refills it.
 */
const keyCache = new Map<string, Ed25519PublicKey>();

function publicKey(bytes: Uint8Array): Ed25519PublicKey {
  const hex = toHex(bytes);
  let key = keyCache.get(hex);
  if (key === undefined) {
    if (keyCache.size >= 4 * MAX_MANAGERS) keyCache.clear();
    try {
      key = new Ed25519PublicKey(bytes);
    } catch (cause) {
      throw new RingError('BAD_MANAGER_SET', `manager key ${hex} is not an Ed25519 key`, { cause });
    }
    keyCache.set(hex, key);
  }
  return key;
}

/**
 * Checks a manager set as configured: 1…MAX_MANAGERS keys of 32 bytes, none twice. A bad set is a configuration
 * error of the node (BAD_MANAGER_SET), never the fault of a certificate.
 */
export function checkManagerSet(managers: readonly Uint8Array[]): void {
  if (managers.length === 0 || managers.length > MAX_MANAGERS) {
    throw new RingError('BAD_MANAGER_SET', `a manager set holds 1…${MAX_MANAGERS} keys, not ${managers.length}`);
  }
  const seen = new Set<string>();
  managers.forEach((key, i) => {
    if (key.length !== 32) throw new RingError('BAD_MANAGER_SET', `managers[${i}] is ${key.length} bytes, not an Ed25519 key`);
    const hex = toHex(key);
    if (seen.has(hex)) throw new RingError('BAD_MANAGER_SET', `managers[${i}] is in the set twice`);
    seen.add(hex);
  });
}

function indexIn(managers: readonly Uint8Array[], member: Uint8Array): number {
  return managers.findIndex((key) => bytesEqual(key, member));
}

/**
 * A certificate from shares, entries in the set's order and each member once (the first share of a member
 * wins). Refuses a share of a key outside the set (WRONG_KEY) and fewer than quorum distinct members
 * (NO_QUORUM); it does not verify the signatures — a collector checks each share as it arrives
 * (`checkManagerShare`), and every receiver checks them all.
 */
export function assembleManagersCertificate(
  managers: readonly Uint8Array[],
  epoch: bigint,
  shares: readonly ManagerSignature[],
): ManagersCertificate {
  checkManagerSet(managers);
  const byIndex = new Map<number, ManagerSignature>();
  shares.forEach((share, i) => {
    const index = indexIn(managers, share.member);
    if (index < 0) throw new RingError('WRONG_KEY', `shares[${i}] is signed by a key outside the manager set`);
    if (!byIndex.has(index)) byIndex.set(index, { member: Uint8Array.from(share.member), sig: Uint8Array.from(share.sig) });
  });
  const quorum = managerQuorum(managers.length);
  if (byIndex.size < quorum) {
    throw new RingError('NO_QUORUM', `${byIndex.size} distinct managers signed; a set of ${managers.length} needs ${quorum}`);
  }
  const entries = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, share]) => share);
  return { kind: 'managers', epoch, entries };
}

/** A collector's check of one share as it arrives: WRONG_KEY (not a member) or BAD_SIGNATURE. */
export function checkManagerShare(
  managers: readonly Uint8Array[],
  share: ManagerSignature,
  tag: string,
  bytes: Uint8Array,
  epoch: bigint,
): void {
  if (indexIn(managers, share.member) < 0) throw new RingError('WRONG_KEY', 'the share is signed by a key outside the manager set');
  if (!publicKey(share.member).verify(documentMessage(tag, bytes, epoch), share.sig)) {
    throw new RingError('BAD_SIGNATURE', 'the share’s signature does not verify');
  }
}

/**
 * Checks a managers certificate over (tag, bytes, certificate.epoch), cheapest first: each entry's membership
 * (WRONG_KEY) and uniqueness (DUPLICATE_SIGNER), byte comparisons only; then the count (NO_QUORUM); and only
 * then every signature, those beyond the quorum included (BAD_SIGNATURE). Errors name the entry (`entries[i]`).
 */
export function checkManagersCertificate(
  managers: readonly Uint8Array[],
  certificate: ManagersCertificate,
  what: string,
  tag: string,
  bytes: Uint8Array,
): void {
  checkManagerSet(managers);
  const { entries } = certificate;
  const quorum = managerQuorum(managers.length);
  const seen = new Set<number>();
  entries.forEach((entry, i) => {
    const index = indexIn(managers, entry.member);
    if (index < 0) throw new RingError('WRONG_KEY', `${what}: entries[${i}] is signed by a key outside the manager set`);
    if (seen.has(index)) throw new RingError('DUPLICATE_SIGNER', `${what}: entries[${i}] repeats manager ${index}`);
    seen.add(index);
  });
  if (seen.size < quorum) {
    throw new RingError('NO_QUORUM', `${what}: ${seen.size} managers signed; a set of ${managers.length} needs ${quorum}`);
  }
  const message = documentMessage(tag, bytes, certificate.epoch);
  entries.forEach((entry, i) => {
    if (!publicKey(entry.member).verify(message, entry.sig)) {
      throw new RingError('BAD_SIGNATURE', `${what}: the signature of entries[${i}] does not verify`);
    }
  });
}
