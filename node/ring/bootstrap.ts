/**
 * The bootstrap list (SPEC.md §5 Bootstrap): manager addresses a new node dials first, shipped in the image and
 * the first-boot file, signed by the genesis ring-authority key over
 *
 *   'AME-RING-BOOTSTRAP-v1' ‖ 0x00 ‖ cbor({ managers: [{ id, addrs }], issuedAt })
 *
 * `issuedAt` (Unix ms) orders lists: a node holding two keeps the later one.
 */
import { encodeCbor, s } from '../wire/index.ts';
import type { Ed25519KeyPair, Ed25519PublicKey } from '../crypto/index.ts';
import type { PeerRef } from '../net/types.ts';
import { authorityKey, authoritySign, checkAuthority } from './authority.ts';
import { decodeWith, peerRefSchema, peerRefToCbor } from './codec.ts';
import { RingError } from './errors.ts';
import { validatePeerRef } from './map.ts';

export const BOOTSTRAP_TAG = 'AME-RING-BOOTSTRAP-v1';
export const MAX_BOOTSTRAP_MANAGERS = 256;
const MAX_BOOTSTRAP_SIZE = 256 * 1024;

export interface BootstrapList {
  readonly managers: readonly PeerRef[];
  readonly issuedAt: number;
  readonly signer: Uint8Array;
  readonly signature: Uint8Array;
}

function bad(path: string, why: string): never {
  throw new RingError('MALFORMED', `${path}: ${why}`);
}

function signedBody(managers: readonly PeerRef[], issuedAt: number): Uint8Array {
  if (managers.length < 1 || managers.length > MAX_BOOTSTRAP_MANAGERS) {
    bad('managers', `a bootstrap list names 1…${MAX_BOOTSTRAP_MANAGERS} managers, got ${managers.length}`);
  }
  const ids = new Set<string>();
  managers.forEach((manager, i) => {
    validatePeerRef(manager, `managers[${i}]`, bad);
    if (ids.has(manager.id)) bad(`managers[${i}]`, `${manager.id} is listed twice`);
    ids.add(manager.id);
  });
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0) bad('issuedAt', 'must be Unix milliseconds');
  return encodeCbor({ managers: managers.map(peerRefToCbor), issuedAt });
}

export function signBootstrapList(managers: readonly PeerRef[], issuedAt: number, key: Ed25519KeyPair): BootstrapList {
  const signed = authoritySign(key, BOOTSTRAP_TAG, signedBody(managers, issuedAt));
  return { managers: managers.map((m) => ({ id: m.id, addrs: [...m.addrs] })), issuedAt, ...signed };
}

/** The list if the ring authority signed it: MALFORMED, WRONG_KEY or BAD_SIGNATURE otherwise. */
export function verifyBootstrapList(list: BootstrapList, authority: Ed25519PublicKey | Uint8Array): BootstrapList {
  const body = signedBody(list.managers, list.issuedAt);
  checkAuthority(authorityKey(authority), list, 'bootstrap list', BOOTSTRAP_TAG, body);
  return list;
}

const listSchema = s.struct({
  managers: s.array(peerRefSchema, { min: 1, max: MAX_BOOTSTRAP_MANAGERS }),
  issuedAt: s.uint(),
  signer: s.bytes({ len: 32 }),
  signature: s.bytes({ len: 64 }),
});

export function encodeBootstrapList(list: BootstrapList): Uint8Array {
  signedBody(list.managers, list.issuedAt);
  return encodeCbor({
    managers: list.managers.map(peerRefToCbor),
    issuedAt: list.issuedAt,
    signer: list.signer,
    signature: list.signature,
  });
}

/** Shape only (MALFORMED otherwise); verifyBootstrapList decides whether to trust it. */
export function decodeBootstrapList(bytes: Uint8Array): BootstrapList {
  return decodeWith(bytes, listSchema, 'bootstrap', MAX_BOOTSTRAP_SIZE);
}
