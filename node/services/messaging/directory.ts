/**
 * The prekey directory on the relay side: owners publish uploads (prekeys.ts), initiators take bundles. Each take
 * hands out one one-time prekey and deletes it from the directory, so no two initiators get the same one; when
 * none is left the bundle carries the signed prekey alone (the session then lacks one-time forward secrecy until
 * the owner uploads more, as in X3DH/PQXDH). The owner's client deletes a one-time secret once it is used, so a
 * directory that cheats and hands a key out twice gets the second session refused, not weakened.
 *
 * Rules both implementations share (this module): an upload must verify (BAD_SIGNATURE); its signed prekey id may
 * not go back, and the same id must come with the same key and identity (STALE); its one-time prekey ids must be
 * above every id the directory ever held for the owner (STALE), so a replayed old upload cannot bring back used
 * keys; and an owner holds at most `maxOneTime` one-time prekeys (PREKEYS_FULL).
 */
import { bytesEqual } from '../../crypto/index.ts';
import { ServiceError } from '../errors.ts';
import { decodeWith, encodeValue } from './codec.ts';
import { messagingAddress, publicIdentitySchema, type PublicIdentity } from './identity.ts';
import {
  decodeUpload,
  encodeBundle,
  type PrekeyUpload,
  type SignedPrekey,
  signedPrekeySchema,
  verifyUpload,
} from './prekeys.ts';

/** One-time prekeys a directory holds per owner by default. */
export const DEFAULT_MAX_ONE_TIME = 500;

export interface PublishResult {
  /** The owner's messaging address, derived from the upload's identity. */
  readonly address: Uint8Array;
  /** One-time prekeys now held for the owner. */
  readonly oneTimeCount: number;
}

export interface PrekeyDirectory {
  /** Adds an owner's upload. MALFORMED, TOO_LARGE, BAD_SIGNATURE, BAD_KEY, STALE, PREKEYS_FULL, CLOSED. */
  publish(upload: Uint8Array): PublishResult;
  /** An encoded bundle for `address`, consuming one one-time prekey if any is left. NOT_FOUND, CLOSED. */
  take(address: Uint8Array): Uint8Array;
  /** One-time prekeys left for `address` (0 for an unknown owner), so an owner knows when to upload more. */
  oneTimeCount(address: Uint8Array): number;
  close(): void;
}

/** What a directory holds for an owner besides the one-time prekeys. */
export interface HeldHead {
  readonly identity: PublicIdentity;
  readonly signedPrekey: SignedPrekey;
  /** Every one-time prekey id the directory ever held for the owner is below this. */
  readonly nextOneTimeId: number;
}

/** Decodes and verifies an upload; its owner's address. */
export function checkUpload(bytes: Uint8Array): { address: Uint8Array; upload: PrekeyUpload } {
  const upload = decodeUpload(bytes);
  verifyUpload(upload);
  return { address: messagingAddress(upload.identity.sign), upload };
}

function sameHead(a: HeldHead, b: PrekeyUpload): boolean {
  return (
    bytesEqual(encodeIdentity(a.identity), encodeIdentity(b.identity)) &&
    bytesEqual(encodePrekey(a.signedPrekey), encodePrekey(b.signedPrekey))
  );
}

/** The head to store after `upload`, given what is held; throws STALE / PREKEYS_FULL. */
export function planPublish(
  held: HeldHead | undefined,
  heldCount: number,
  upload: PrekeyUpload,
  maxOneTime: number,
): HeldHead {
  const next = held?.nextOneTimeId ?? 0;
  if (held !== undefined) {
    if (upload.signedPrekey.id < held.signedPrekey.id) {
      throw new ServiceError('STALE', `signed prekey ${upload.signedPrekey.id} is older than the held ${held.signedPrekey.id}`);
    }
    if (upload.signedPrekey.id === held.signedPrekey.id && !sameHead(held, upload)) {
      throw new ServiceError('STALE', `signed prekey ${upload.signedPrekey.id} is held with another key or identity`);
    }
  }
  const first = upload.oneTimePrekeys[0];
  if (first !== undefined && first.id < next) {
    throw new ServiceError('STALE', `one-time prekey ${first.id} is not above the ids already held (next ${next})`);
  }
  if (heldCount + upload.oneTimePrekeys.length > maxOneTime) {
    throw new ServiceError('PREKEYS_FULL', `an owner holds at most ${maxOneTime} one-time prekeys here`);
  }
  const last = upload.oneTimePrekeys.at(-1);
  return {
    identity: upload.identity,
    signedPrekey: upload.signedPrekey,
    nextOneTimeId: last === undefined ? next : last.id + 1,
  };
}

export function bundleOf(head: HeldHead, oneTime: SignedPrekey | undefined): Uint8Array {
  return encodeBundle(
    oneTime === undefined
      ? { identity: head.identity, signedPrekey: head.signedPrekey }
      : { identity: head.identity, signedPrekey: head.signedPrekey, oneTimePrekey: oneTime },
  );
}

export function checkAddress(address: Uint8Array): void {
  if (!(address instanceof Uint8Array) || address.length !== 32) {
    throw new ServiceError('MALFORMED', 'a messaging address is 32 bytes');
  }
}

export function checkMaxOneTime(max: number): number {
  if (!Number.isSafeInteger(max) || max < 1) throw new ServiceError('MALFORMED', 'maxOneTime must be ≥ 1');
  return max;
}

// Stored forms (the SQLite directory keeps these bytes; decoding them again is a check against a damaged file).
export function encodeIdentity(identity: PublicIdentity): Uint8Array {
  return encodeValue(identity, 'identity');
}
export function decodeIdentity(bytes: Uint8Array): PublicIdentity {
  return decodeWith(bytes, 512, publicIdentitySchema, 'stored identity');
}
export function encodePrekey(prekey: SignedPrekey): Uint8Array {
  return encodeValue(prekey, 'prekey');
}
export function decodePrekey(bytes: Uint8Array): SignedPrekey {
  return decodeWith(bytes, 2048, signedPrekeySchema, 'stored prekey');
}
