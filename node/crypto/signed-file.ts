/**
 * Detached file signatures (`ame wallet sign` / `verify`, SPEC §3). The bundle is one line of JSON,
 * {"scheme":"falcon","publicKey":"<hex>","signature":"<hex>"}, and the signed bytes are
 * 'AME-MSG-v1' ‖ 0x00 ‖ SHA-256(file), so a file signature can never be replayed as any other AME signature.
 */
import { addressFromPublicKey, parseAddress, type ParsedAddress } from './address.ts';
import { CryptoError } from './errors.ts';
import { bytesEqual, domainSeparated, fromHex, hash160, sha256, toHex } from './hash.ts';
import { verifySignature, type AccountKey } from './keys.ts';
import { assertScheme, publicKeyProblem, type Scheme } from './scheme.ts';

export const FILE_SIGNATURE_TAG = 'AME-MSG-v1';
/** A Falcon bundle is under 4 KB; anything far larger is not a bundle. */
const MAX_BUNDLE_LENGTH = 16 * 1024;
const BUNDLE_KEYS = ['publicKey', 'scheme', 'signature'];

export interface FileSignatureBundle {
  readonly scheme: Scheme;
  readonly publicKey: string;
  readonly signature: string;
}

export interface VerifiedFile {
  readonly scheme: Scheme;
  readonly address: string;
}

/** The bytes an account signs for a file. */
export function fileSigningMessage(fileBytes: Uint8Array): Uint8Array {
  return domainSeparated(FILE_SIGNATURE_TAG, sha256(fileBytes));
}

export function createFileBundle(account: AccountKey, fileBytes: Uint8Array): FileSignatureBundle {
  return {
    scheme: account.scheme,
    publicKey: toHex(account.publicKey),
    signature: toHex(account.sign(fileSigningMessage(fileBytes))),
  };
}

/** The bundle as the one line of JSON `ame wallet sign` prints (no trailing newline). */
export function signFile(account: AccountKey, fileBytes: Uint8Array): string {
  return encodeFileBundle(createFileBundle(account, fileBytes));
}

/** One line of JSON, no trailing newline, keys in a fixed order. */
export function encodeFileBundle(bundle: FileSignatureBundle): string {
  return JSON.stringify({ scheme: bundle.scheme, publicKey: bundle.publicKey, signature: bundle.signature });
}

/** Parses bundle text (surrounding whitespace allowed). BAD_ENCODING if malformed, UNSUPPORTED for a new scheme. */
export function decodeFileBundle(text: string): FileSignatureBundle {
  if (typeof text !== 'string' || text.length > MAX_BUNDLE_LENGTH) {
    throw new CryptoError('BAD_ENCODING', 'malformed signature bundle: not a bundle-sized text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CryptoError('BAD_ENCODING', 'malformed signature bundle: not JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CryptoError('BAD_ENCODING', 'malformed signature bundle: not a JSON object');
  }
  const keys = Object.keys(value).sort();
  if (keys.length !== BUNDLE_KEYS.length || keys.some((k, i) => k !== BUNDLE_KEYS[i])) {
    throw new CryptoError('BAD_ENCODING', 'malformed signature bundle: needs exactly scheme, publicKey, signature');
  }
  const { scheme, publicKey, signature } = value as Record<string, unknown>;
  if (typeof publicKey !== 'string' || typeof signature !== 'string') {
    throw new CryptoError('BAD_ENCODING', 'malformed signature bundle: publicKey and signature must be hex strings');
  }
  try {
    fromHex(publicKey, 'publicKey');
    fromHex(signature, 'signature');
  } catch (error) {
    throw new CryptoError('BAD_ENCODING', `malformed signature bundle: ${(error as Error).message}`, { cause: error });
  }
  return { scheme: assertScheme(scheme), publicKey: publicKey.toLowerCase(), signature: signature.toLowerCase() };
}

/**
 * Checks that `bundle` signs `fileBytes` by the account `expectedAddress`, and returns who signed. Throws
 * CryptoError with the reason: BAD_ENCODING (malformed bundle), UNSUPPORTED (unknown scheme), BAD_KEY (public key
 * malformed for its scheme), BAD_ADDRESS (the key is not the expected account's; also a malformed expected address,
 * as are BAD_CHECKSUM and BAD_ENCODING from parsing it), BAD_SIGNATURE (the file or signature changed).
 */
export function verifyFileBundle(
  bundle: FileSignatureBundle | string,
  expectedAddress: string | ParsedAddress,
  fileBytes: Uint8Array,
): VerifiedFile {
  // An object bundle goes through the same checks as text, so both paths accept exactly the same bundles.
  const parsedBundle = decodeFileBundle(typeof bundle === 'string' ? bundle : encodeFileBundle(bundle));
  const expected = parseExpected(expectedAddress);
  const publicKey = fromHex(parsedBundle.publicKey);
  const problem = publicKeyProblem(parsedBundle.scheme, publicKey);
  if (problem !== undefined) throw new CryptoError('BAD_KEY', `signature bundle: ${problem}`);
  const signer = addressFromPublicKey(parsedBundle.scheme, publicKey);
  if (expected.scheme !== parsedBundle.scheme || !bytesEqual(expected.hash160, hash160(publicKey))) {
    throw new CryptoError('BAD_ADDRESS', `signed by ${signer}, not by ${expected.text}`);
  }
  const signature = fromHex(parsedBundle.signature);
  if (!verifySignature(parsedBundle.scheme, publicKey, fileSigningMessage(fileBytes), signature)) {
    throw new CryptoError('BAD_SIGNATURE', `signature by ${signer} does not match this file's contents`);
  }
  return { scheme: parsedBundle.scheme, address: signer };
}

function parseExpected(address: string | ParsedAddress): ParsedAddress {
  if (typeof address !== 'string') return address;
  try {
    return parseAddress(address);
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    throw new CryptoError(error.code, `expected address: ${error.message}`, { cause: error });
  }
}
