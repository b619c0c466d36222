/**
 * AME account addresses (SPEC §3): Base58Check(version ‖ RIPEMD160(SHA256(publicKey))).
 *
 * Why the first character is fixed: the 25 encoded bytes are a number V = version·256^24 + R with
 * 0 ≤ R < 256^24. For version 0x17, 9·58^33 ≤ V < 10·58^33 < 58^34 for every R, so the text always has
 * 34 characters and its first digit is 9, which is 'A'; for 0x23 the first digit is always 14, 'F'.
 * address.test.ts checks both bounds with exact integers.
 */
import { decodeBase58Check, encodeBase58Check } from './base58check.ts';
import { CryptoError } from './errors.ts';
import { bytesEqual, concatBytes, HASH160_LENGTH, hash160 } from './hash.ts';
import { ADDRESS_VERSION, assertPublicKey, publicKeyProblem, schemeOfVersion, type Scheme } from './scheme.ts';

/** The alternative spelling of a Falcon address: this prefix replaces its leading 'F'. */
export const FALCON_PREFIX = 'falcon:';
export const ADDRESS_LENGTH = 34;
export const ADDRESS_LETTER: Readonly<Record<Scheme, string>> = { ecdsa: 'A', falcon: 'F' };

/** Longer input is refused before Base58 decoding, whose cost is quadratic in the length. */
const MAX_INPUT_LENGTH = 128;

export interface ParsedAddress {
  readonly scheme: Scheme;
  readonly hash160: Uint8Array;
  /** The canonical spelling (leading letter, never the falcon: form). */
  readonly text: string;
}

export function addressFromHash160(scheme: Scheme, keyHash: Uint8Array): string {
  if (keyHash.length !== HASH160_LENGTH) {
    throw new CryptoError('BAD_KEY', `key hash must be ${HASH160_LENGTH} bytes, got ${keyHash.length}`);
  }
  return encodeBase58Check(concatBytes(new Uint8Array([ADDRESS_VERSION[scheme]]), keyHash));
}

/** BAD_KEY if the key has the wrong length or leading byte for its scheme. */
export function addressFromPublicKey(scheme: Scheme, publicKey: Uint8Array): string {
  assertPublicKey(scheme, publicKey);
  return addressFromHash160(scheme, hash160(publicKey));
}

/**
 * Parses 'A…', 'F…' or 'falcon:…' (surrounding whitespace ignored). Throws CryptoError: BAD_ENCODING for a
 * character outside Base58, BAD_CHECKSUM for a typo, BAD_ADDRESS for valid Base58Check that is not an AME address.
 */
export function parseAddress(input: string): ParsedAddress {
  if (typeof input !== 'string') throw new CryptoError('BAD_ADDRESS', 'address must be a string');
  const trimmed = input.trim();
  if (trimmed === '') throw new CryptoError('BAD_ADDRESS', 'address is empty');
  if (trimmed.length > MAX_INPUT_LENGTH) {
    throw new CryptoError('BAD_ADDRESS', `address is ${trimmed.length} characters long; AME addresses have 34`);
  }
  if (trimmed.startsWith(FALCON_PREFIX)) return parseFalconForm(trimmed.slice(FALCON_PREFIX.length));
  return parseCanonical(trimmed);
}

function parseFalconForm(rest: string): ParsedAddress {
  if (rest === '') throw new CryptoError('BAD_ADDRESS', `nothing follows ${FALCON_PREFIX}`);
  let parsed: ParsedAddress;
  try {
    parsed = parseCanonical(`F${rest}`);
  } catch (error) {
    // A common slip: pasting the whole address after the prefix. Say so instead of reporting a checksum error.
    if (rest.startsWith('F') && isFalconAddress(rest)) {
      throw new CryptoError('BAD_ADDRESS', `${FALCON_PREFIX} is followed by the address without its leading F`, {
        cause: error,
      });
    }
    throw error;
  }
  if (parsed.scheme !== 'falcon') {
    throw new CryptoError('BAD_ADDRESS', `${FALCON_PREFIX} form is only for Falcon addresses`);
  }
  return parsed;
}

function isFalconAddress(text: string): boolean {
  try {
    return parseCanonical(text).scheme === 'falcon';
  } catch {
    return false;
  }
}

function parseCanonical(text: string): ParsedAddress {
  const payload = decodeBase58Check(text);
  if (payload.length !== 1 + HASH160_LENGTH) {
    throw new CryptoError(
      'BAD_ADDRESS',
      `address holds ${payload.length} bytes; an AME address holds a version byte and a 20-byte key hash`,
    );
  }
  const version = payload[0]!;
  const scheme = schemeOfVersion(version);
  if (scheme === undefined) {
    const hex = version.toString(16).padStart(2, '0');
    throw new CryptoError(
      'BAD_ADDRESS',
      `version byte 0x${hex} is not an AME address (0x17 ECDSA 'A…', 0x23 Falcon 'F…')`,
    );
  }
  return { scheme, hash160: payload.slice(1), text };
}

/** 'F…' → 'falcon:…'. BAD_ADDRESS for an ECDSA address, which has no such form. */
export function toFalconForm(address: string | ParsedAddress): string {
  const parsed = typeof address === 'string' ? parseAddress(address) : address;
  if (parsed.scheme !== 'falcon') throw new CryptoError('BAD_ADDRESS', 'only Falcon addresses have a falcon: form');
  return FALCON_PREFIX + parsed.text.slice(1);
}

/** True if the key is a well-formed key of `scheme` hashing to `address`; false for anything malformed. */
export function addressMatchesKey(address: string | ParsedAddress, scheme: Scheme, publicKey: Uint8Array): boolean {
  let parsed: ParsedAddress;
  try {
    parsed = typeof address === 'string' ? parseAddress(address) : address;
  } catch {
    return false;
  }
  if (parsed.scheme !== scheme || publicKeyProblem(scheme, publicKey) !== undefined) return false;
  return bytesEqual(parsed.hash160, hash160(publicKey));
}
