/**
 * Signed metadata documents: `{signed, signatures: [{keyid, sig}]}` in deterministic CBOR. A signature covers
 * `AME-UPDATE-v1/<type>` ‖ 0x00 ‖ CBOR(signed), so a signature on one role's document never verifies as another's.
 * Verification counts distinct keys of the role, as listed by the root the caller trusts, whose signature verifies.
 */
import { domainSeparated, Ed25519PublicKey, type Ed25519KeyPair } from '../crypto/index.ts';
import { type CborValue, decodeCbor, encodeCbor, s, WireError } from '../wire/index.ts';
import { UpdateError } from './errors.ts';
import { keyIdOf, parseSigned, type RoleType, type RootSigned, type SignedOf } from './roles.ts';

/** Bounds against endless data before anything is parsed (TUF's "default maximum" sizes, generous here). */
export const MAX_DOCUMENT_SIZE: Readonly<Record<RoleType, number>> = {
  root: 64 * 1024,
  timestamp: 16 * 1024,
  snapshot: 16 * 1024,
  targets: 4 * 1024 * 1024,
  director: 16 * 1024,
};

export const SIGNATURE_DOMAIN = 'AME-UPDATE-v1';

const envelope = s.struct({
  signed: s.raw(),
  signatures: s.array(s.struct({ keyid: s.text({ min: 64, max: 64 }), sig: s.bytes({ max: 128 }) }), { max: 64 }),
});

export interface Signature {
  readonly keyid: string;
  readonly sig: Uint8Array;
}

/** A decoded document: its typed `signed` part, its signatures, and the bytes those signatures cover. */
export interface Document<T extends RoleType> {
  readonly type: T;
  readonly signed: SignedOf[T];
  readonly signatures: readonly Signature[];
  readonly message: Uint8Array;
  /** The whole document as received: what snapshot and timestamp hash. */
  readonly bytes: Uint8Array;
}

export function signingMessage(type: RoleType, signedCbor: Uint8Array): Uint8Array {
  return domainSeparated(`${SIGNATURE_DOMAIN}/${type}`, signedCbor);
}

/** Encodes and signs a document with every key given (the caller picks how many: a threshold, or more). */
export function signDocument<T extends RoleType>(
  type: T,
  signed: SignedOf[T],
  keys: readonly Ed25519KeyPair[],
): Uint8Array {
  const signedCbor = encodeCbor(signed as unknown as CborValue);
  const message = signingMessage(type, signedCbor);
  const signatures = keys.map((key) => ({ keyid: keyIdOf(key.publicKey.bytes), sig: key.sign(message) }));
  return encodeCbor({ signed: signed as unknown as CborValue, signatures });
}

/**
 * Decodes a document of `type` from untrusted bytes without checking any signature (that needs the trusted
 * root: checkThreshold). Throws UpdateError TOO_LARGE or MALFORMED only.
 */
export function decodeDocument<T extends RoleType>(type: T, bytes: Uint8Array, what: string = type): Document<T> {
  if (!(bytes instanceof Uint8Array)) throw new UpdateError('MALFORMED', `${what}: expected bytes`);
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { maxSize: MAX_DOCUMENT_SIZE[type] });
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    const code = error.code === 'TOO_LARGE' ? 'TOO_LARGE' : 'MALFORMED';
    throw new UpdateError(code, `${what}: ${error.message}`, { cause: error });
  }
  let parts: { signed: CborValue; signatures: readonly Signature[] };
  try {
    parts = envelope.parse(value, '');
  } catch (error) {
    if (error instanceof WireError) throw new UpdateError('MALFORMED', `${what}: ${error.message}`, { cause: error });
    throw error;
  }
  const signed = parseSigned(type, parts.signed, what);
  // decodeCbor accepted only canonical input, so re-encoding gives back exactly the bytes that were signed.
  const message = signingMessage(type, encodeCbor(parts.signed));
  return { type, signed, signatures: parts.signatures, message, bytes };
}

/**
 * Throws unless at least `threshold` distinct keys that `root` gives `role` signed the document. A key the root no
 * longer lists (revoked by rotation) counts for nothing. BAD_SIGNATURE when one of the role's keys signed something
 * else (a tampered document), THRESHOLD when too few of the role's keys signed at all.
 */
export function checkThreshold(doc: Document<RoleType>, root: RootSigned, role: string, what: string = doc.type): void {
  const delegation = root.roles[role];
  if (delegation === undefined) throw new UpdateError('MALFORMED', `${what}: the trusted root has no ${role} role`);
  const allowed = new Set(delegation.keyids);
  const valid = new Set<string>();
  let invalid = 0;
  for (const { keyid, sig } of doc.signatures) {
    if (!allowed.has(keyid) || valid.has(keyid)) continue;
    const key = root.keys[keyid];
    if (key !== undefined && new Ed25519PublicKey(key.public).verify(doc.message, sig)) valid.add(keyid);
    else invalid += 1;
  }
  if (valid.size >= delegation.threshold) return;
  const counts = `${valid.size} valid signature(s) from the ${role} keys of root v${root.version}, threshold ${delegation.threshold}`;
  if (invalid > 0) throw new UpdateError('BAD_SIGNATURE', `${what}: ${invalid} signature(s) do not verify; ${counts}`);
  throw new UpdateError('THRESHOLD', `${what}: ${counts}`);
}
