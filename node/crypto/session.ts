/**
 * Session keys (SPEC §3): an Ed25519 key that signs high-rate messages (receipts) on behalf of an account, whose
 * slow Falcon or ECDSA key signs once, here, to authorise it until an expiry.
 *
 * The authorisation body is a fixed binary layout (this layer sits below the CBOR of node/wire), big-endian:
 *
 *   u8   layout version = 1
 *   u8   account address version byte (0x17 ECDSA, 0x23 Falcon: it names the scheme)
 *   20   account key hash (the address payload)
 *   u16  account public key length L
 *   L    account public key
 *   32   session Ed25519 public key
 *   u64  expiry, unix milliseconds
 *
 * The account key signs 'AME-SESSION-v1' ‖ 0x00 ‖ body. The transport encoding is body ‖ u16 signature length ‖
 * signature, and nothing may follow.
 */
import { addressFromHash160, parseAddress } from './address.ts';
import { CryptoError } from './errors.ts';
import { bytesEqual, concatBytes, domainSeparated, HASH160_LENGTH, hash160, type RandomSource, u64be } from './hash.ts';
import type { AccountKey } from './keys.ts';
import { ED25519_PUBLIC_KEY_LENGTH, Ed25519KeyPair, Ed25519PublicKey } from './node-key.ts';
import { ADDRESS_VERSION, schemeOfVersion, type Scheme } from './scheme.ts';
import { verifyAny, type VerifySig } from './sig-check.ts';

export const SESSION_DOMAIN_TAG = 'AME-SESSION-v1';
const LAYOUT_VERSION = 1;

export interface SessionAuthorization {
  readonly sessionPublicKey: Uint8Array;
  /** The account's address (canonical text). */
  readonly account: string;
  readonly scheme: Scheme;
  readonly accountPublicKey: Uint8Array;
  /** Unix milliseconds; the authorisation is valid strictly before this instant. */
  readonly expiresAt: number;
  readonly signature: Uint8Array;
}

export type SessionFields = Omit<SessionAuthorization, 'signature'>;

function u16(n: number): Uint8Array {
  return new Uint8Array([n >> 8, n & 0xff]);
}

/** The body layout above, from fields that were checked for shape (not for validity). */
function encodeBody(fields: SessionFields): Uint8Array {
  if (fields.sessionPublicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new CryptoError('BAD_KEY', `session public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`);
  }
  if (!Number.isSafeInteger(fields.expiresAt) || fields.expiresAt < 0) {
    throw new CryptoError('BAD_ENCODING', 'expiresAt must be a non-negative integer of unix milliseconds');
  }
  if (fields.accountPublicKey.length > 0xffff) throw new CryptoError('BAD_KEY', 'account public key too long');
  const address = parseAddress(fields.account);
  return concatBytes(
    new Uint8Array([LAYOUT_VERSION, ADDRESS_VERSION[address.scheme]]),
    address.hash160,
    u16(fields.accountPublicKey.length),
    fields.accountPublicKey,
    fields.sessionPublicKey,
    u64be(fields.expiresAt),
  );
}

/** The exact bytes the account key signs. */
export function sessionAuthorizationMessage(fields: SessionFields): Uint8Array {
  return domainSeparated(SESSION_DOMAIN_TAG, encodeBody(fields));
}

/** The account's signature over a session key, valid until `expiresAt` (unix ms). */
export function authorizeSession(
  account: AccountKey,
  sessionPublicKey: Ed25519PublicKey | Uint8Array,
  expiresAt: number,
): SessionAuthorization {
  const sessionKeyBytes = sessionPublicKey instanceof Ed25519PublicKey ? sessionPublicKey.bytes : sessionPublicKey;
  const fields: SessionFields = {
    sessionPublicKey: Uint8Array.from(sessionKeyBytes),
    account: account.address,
    scheme: account.scheme,
    accountPublicKey: Uint8Array.from(account.publicKey),
    expiresAt,
  };
  return { ...fields, signature: account.sign(sessionAuthorizationMessage(fields)) };
}

/** A fresh session key pair and its authorisation. */
export function createSession(
  account: AccountKey,
  expiresAt: number,
  random?: RandomSource,
): { keyPair: Ed25519KeyPair; authorization: SessionAuthorization } {
  const keyPair = random === undefined ? Ed25519KeyPair.generate() : Ed25519KeyPair.generate(random);
  return { keyPair, authorization: authorizeSession(account, keyPair.publicKey, expiresAt) };
}

/**
 * Checks an authorisation and returns the session key it vouches for. Throws CryptoError: BAD_ADDRESS if the
 * account key does not hash to the account address (or the scheme disagrees), BAD_KEY for a malformed session key,
 * BAD_SIGNATURE if the account did not sign it, EXPIRED at or after `expiresAt`.
 */
export function verifySessionAuthorization(
  auth: SessionAuthorization,
  nowMs: number,
  verify: VerifySig = verifyAny,
): Ed25519PublicKey {
  const address = parseAddress(auth.account);
  if (address.scheme !== auth.scheme) {
    throw new CryptoError('BAD_ADDRESS', `account ${auth.account} is a ${address.scheme} address, not ${auth.scheme}`);
  }
  if (!bytesEqual(address.hash160, hash160(auth.accountPublicKey))) {
    throw new CryptoError('BAD_ADDRESS', `account public key does not hash to ${auth.account}`);
  }
  const sessionKey = new Ed25519PublicKey(auth.sessionPublicKey);
  const message = sessionAuthorizationMessage(auth);
  if (!verify(auth.scheme, auth.accountPublicKey, message, auth.signature)) {
    throw new CryptoError('BAD_SIGNATURE', `session authorisation is not signed by ${auth.account}`);
  }
  if (nowMs >= auth.expiresAt) {
    throw new CryptoError('EXPIRED', `session authorisation expired at ${new Date(auth.expiresAt).toISOString()}`);
  }
  return sessionKey;
}

/** Transport form: body ‖ u16 signature length ‖ signature. */
export function encodeSessionAuthorization(auth: SessionAuthorization): Uint8Array {
  if (auth.signature.length > 0xffff) throw new CryptoError('BAD_ENCODING', 'signature too long');
  return concatBytes(encodeBody(auth), u16(auth.signature.length), auth.signature);
}

/** Inverse of encodeSessionAuthorization; BAD_ENCODING for anything but exactly that layout. */
export function decodeSessionAuthorization(bytes: Uint8Array): SessionAuthorization {
  let offset = 0;
  const take = (n: number, what: string): Uint8Array => {
    if (offset + n > bytes.length) throw new CryptoError('BAD_ENCODING', `session authorisation truncated in ${what}`);
    const part = bytes.slice(offset, offset + n);
    offset += n;
    return part;
  };
  const readU16 = (what: string): number => {
    const b = take(2, what);
    return (b[0]! << 8) | b[1]!;
  };
  const [layout, version] = take(2, 'header');
  if (layout !== LAYOUT_VERSION) throw new CryptoError('BAD_ENCODING', `session layout version ${layout} unknown`);
  const scheme = schemeOfVersion(version!);
  if (scheme === undefined) throw new CryptoError('BAD_ENCODING', `address version ${version} unknown`);
  const keyHash = take(HASH160_LENGTH, 'account');
  const accountPublicKey = take(readU16('account key length'), 'account key');
  const sessionPublicKey = take(ED25519_PUBLIC_KEY_LENGTH, 'session key');
  const expiry = new DataView(take(8, 'expiry').buffer).getBigUint64(0);
  if (expiry > BigInt(Number.MAX_SAFE_INTEGER)) throw new CryptoError('BAD_ENCODING', 'expiry out of range');
  const signature = take(readU16('signature length'), 'signature');
  if (offset !== bytes.length) throw new CryptoError('BAD_ENCODING', 'bytes follow the session authorisation');
  return {
    sessionPublicKey,
    account: addressFromHash160(scheme, keyHash),
    scheme,
    accountPublicKey,
    expiresAt: Number(expiry),
    signature,
  };
}
