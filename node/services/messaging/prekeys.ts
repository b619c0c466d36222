/**
 * Published prekeys (SPEC §3, PQXDH): a signed prekey, replaced now and then, and one-time prekeys, each used for
 * one session start. Both kinds are hybrid X25519 + ML-KEM-768 public keys (node/crypto/kem.ts), and both are
 * signed by the identity's Ed25519 key over
 *
 *   'AME-MSG-PREKEY-v1' ‖ 0x00 ‖ cbor({kind: 'signed' | 'one-time', id, key})
 *
 * One-time prekeys are signed too (unlike X3DH's, like PQXDH's one-time KEM keys), so a relay that hands out a key
 * of its own is caught, and the kind is signed so that it cannot pass a one-time key off as the signed one.
 *
 * Two encodings: an upload (identity, signed prekey, a batch of one-time prekeys) that the owner sends to the
 * directory, and a bundle (identity, signed prekey, at most one one-time prekey) that the directory hands out.
 * Decoders check the shape only; `verifyBundle` and `verifyUpload` check the signatures.
 */
import { bytesEqual, domainSeparated, type Ed25519PublicKey, KEM_PUBLIC_KEY_LENGTH } from '../../crypto/index.ts';
import { encodeCbor, s, type Infer } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { decodeWith, encodeValue } from './codec.ts';
import {
  messagingAddress,
  type MessagingIdentity,
  publicIdentitySchema,
  type PublicIdentity,
  verifyIdentity,
} from './identity.ts';

export const PREKEY_DOMAIN_TAG = 'AME-MSG-PREKEY-v1';
export const MAX_PREKEY_ID = 0xffff_ffff;
/** One-time prekeys one upload may carry. */
export const MAX_UPLOAD_PREKEYS = 100;
const PREKEY_ENCODED_MAX = KEM_PUBLIC_KEY_LENGTH + 128;
export const MAX_BUNDLE_SIZE = 3 * PREKEY_ENCODED_MAX;
export const MAX_UPLOAD_SIZE = (MAX_UPLOAD_PREKEYS + 2) * PREKEY_ENCODED_MAX;

export type PrekeyKind = 'signed' | 'one-time';

export const signedPrekeySchema = s.struct({
  id: s.uint({ max: MAX_PREKEY_ID }),
  key: s.bytes({ len: KEM_PUBLIC_KEY_LENGTH }),
  sig: s.bytes({ len: 64 }),
});
export type SignedPrekey = Infer<typeof signedPrekeySchema>;

const bundleSchema = s.struct({
  v: s.literal(1),
  ik: publicIdentitySchema,
  spk: signedPrekeySchema,
  opk: s.optional(signedPrekeySchema),
});
const uploadSchema = s.struct({
  v: s.literal(1),
  ik: publicIdentitySchema,
  spk: signedPrekeySchema,
  opks: s.array(signedPrekeySchema, { max: MAX_UPLOAD_PREKEYS }),
});

export interface PrekeyBundle {
  readonly identity: PublicIdentity;
  readonly signedPrekey: SignedPrekey;
  /** Absent when the owner's one-time prekeys have run out: the session then rests on the signed prekey alone. */
  readonly oneTimePrekey?: SignedPrekey;
}

export interface PrekeyUpload {
  readonly identity: PublicIdentity;
  readonly signedPrekey: SignedPrekey;
  readonly oneTimePrekeys: readonly SignedPrekey[];
}

export function prekeySigningBytes(kind: PrekeyKind, id: number, key: Uint8Array): Uint8Array {
  return domainSeparated(PREKEY_DOMAIN_TAG, encodeCbor({ kind, id, key }));
}

export function signPrekey(identity: MessagingIdentity, kind: PrekeyKind, id: number, key: Uint8Array): SignedPrekey {
  return { id, key: Uint8Array.from(key), sig: identity.signing.sign(prekeySigningBytes(kind, id, key)) };
}

function verifyPrekey(signer: Ed25519PublicKey, kind: PrekeyKind, prekey: SignedPrekey): void {
  if (!signer.verify(prekeySigningBytes(kind, prekey.id, prekey.key), prekey.sig)) {
    throw new ServiceError('BAD_SIGNATURE', `${kind} prekey ${prekey.id} is not signed by the identity`);
  }
}

/**
 * Checks every signature, and that the bundle belongs to `address` when given (a directory that answers with
 * someone else's valid bundle is as bad as a forged one): BAD_SIGNATURE / BAD_KEY.
 */
export function verifyBundle(bundle: PrekeyBundle, address?: Uint8Array): void {
  if (address !== undefined && !bytesEqual(messagingAddress(bundle.identity.sign), address)) {
    throw new ServiceError('BAD_SIGNATURE', 'bundle belongs to another identity than the one asked for');
  }
  const signer = verifyIdentity(bundle.identity);
  verifyPrekey(signer, 'signed', bundle.signedPrekey);
  if (bundle.oneTimePrekey !== undefined) verifyPrekey(signer, 'one-time', bundle.oneTimePrekey);
}

/** Checks every signature and that one-time prekey ids are strictly increasing (so none appears twice). */
export function verifyUpload(upload: PrekeyUpload): void {
  const signer = verifyIdentity(upload.identity);
  verifyPrekey(signer, 'signed', upload.signedPrekey);
  let last = -1;
  for (const prekey of upload.oneTimePrekeys) {
    if (prekey.id <= last) throw new ServiceError('MALFORMED', 'one-time prekey ids must be strictly increasing');
    last = prekey.id;
    verifyPrekey(signer, 'one-time', prekey);
  }
}

export function encodeBundle(bundle: PrekeyBundle): Uint8Array {
  const value: Record<string, unknown> = { v: 1, ik: bundle.identity, spk: bundle.signedPrekey };
  if (bundle.oneTimePrekey !== undefined) value['opk'] = bundle.oneTimePrekey;
  return encodeValue(value, 'prekey bundle');
}

/** Shape only (MALFORMED / TOO_LARGE); call verifyBundle before use. */
export function decodeBundle(bytes: Uint8Array): PrekeyBundle {
  const raw = decodeWith(bytes, MAX_BUNDLE_SIZE, bundleSchema, 'bundle');
  return raw.opk === undefined
    ? { identity: raw.ik, signedPrekey: raw.spk }
    : { identity: raw.ik, signedPrekey: raw.spk, oneTimePrekey: raw.opk };
}

export function encodeUpload(upload: PrekeyUpload): Uint8Array {
  return encodeValue({ v: 1, ik: upload.identity, spk: upload.signedPrekey, opks: upload.oneTimePrekeys }, 'prekey upload');
}

/** Shape only (MALFORMED / TOO_LARGE); call verifyUpload before use. */
export function decodeUpload(bytes: Uint8Array): PrekeyUpload {
  const raw = decodeWith(bytes, MAX_UPLOAD_SIZE, uploadSchema, 'upload');
  return { identity: raw.ik, signedPrekey: raw.spk, oneTimePrekeys: raw.opks };
}
