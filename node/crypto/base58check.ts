/**
 * Base58 (Bitcoin alphabet) and Base58Check. The radix conversion is @scure/base's; this module adds the checks
 * it lacks and the error messages a user can act on (which character, at which position, is wrong).
 * Conversion cost grows with the square of the length, so parsers of untrusted text cap the length first.
 */
import { base58 } from '@scure/base';
import { CryptoError } from './errors.ts';
import { bytesEqual, concatBytes, sha256d } from './hash.ts';

export const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export const CHECKSUM_LENGTH = 4;

const ALPHABET_SET = new Set(BASE58_ALPHABET);

/** Characters people most often type instead of a Base58 one, and why Base58 leaves them out. */
const LOOKALIKES: Record<string, string> = {
  '0': "'0' (zero) is not used in Base58",
  O: "'O' (capital o) is not used in Base58",
  I: "'I' (capital i) is not used in Base58",
  l: "'l' (lower-case L) is not used in Base58",
};

function checkAlphabet(text: string): void {
  let index = 0;
  for (const ch of text) {
    if (!ALPHABET_SET.has(ch)) {
      const why = LOOKALIKES[ch] ?? `${JSON.stringify(ch)} is not a Base58 character`;
      throw new CryptoError('BAD_ENCODING', `character ${index + 1}: ${why}`);
    }
    index += 1;
  }
}

export function encodeBase58(bytes: Uint8Array): string {
  return base58.encode(bytes);
}

/** Base58 text → bytes; each leading '1' is a leading zero byte. The empty string decodes to no bytes. */
export function decodeBase58(text: string): Uint8Array {
  if (typeof text !== 'string') throw new CryptoError('BAD_ENCODING', 'Base58 input must be a string');
  checkAlphabet(text);
  try {
    return base58.decode(text);
  } catch (cause) {
    // Unreachable after checkAlphabet, but a library change must not leak an untyped error.
    throw new CryptoError('BAD_ENCODING', 'not valid Base58', { cause });
  }
}

function checksum(payload: Uint8Array): Uint8Array {
  return sha256d(payload).subarray(0, CHECKSUM_LENGTH);
}

/** payload ‖ first 4 bytes of SHA256(SHA256(payload)), in Base58. */
export function encodeBase58Check(payload: Uint8Array): string {
  return encodeBase58(concatBytes(payload, checksum(payload)));
}

/** The payload of a Base58Check string; BAD_ENCODING if it is not Base58 or too short, BAD_CHECKSUM on mismatch. */
export function decodeBase58Check(text: string): Uint8Array {
  if (text === '') throw new CryptoError('BAD_ENCODING', 'empty Base58Check string');
  const raw = decodeBase58(text);
  if (raw.length < CHECKSUM_LENGTH) {
    throw new CryptoError('BAD_ENCODING', `Base58Check string too short for its ${CHECKSUM_LENGTH}-byte checksum`);
  }
  const payload = raw.subarray(0, raw.length - CHECKSUM_LENGTH);
  if (!bytesEqual(raw.subarray(raw.length - CHECKSUM_LENGTH), checksum(payload))) {
    throw new CryptoError('BAD_CHECKSUM', 'checksum does not match: a character is mistyped or missing');
  }
  return Uint8Array.from(payload);
}
