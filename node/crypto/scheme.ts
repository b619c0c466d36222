/**
 * The two account signature schemes (SPEC §3) and the facts about them that addresses, keys and keystores share.
 */
import { CryptoError } from './errors.ts';

export type Scheme = 'falcon' | 'ecdsa';

export const SCHEMES: readonly Scheme[] = ['falcon', 'ecdsa'];

/** Address version bytes: every 0x17 address starts with 'A', every 0x23 address with 'F' (see address.ts). */
export const ADDRESS_VERSION: Readonly<Record<Scheme, number>> = { ecdsa: 0x17, falcon: 0x23 };

/** secp256k1: 33-byte compressed point; Falcon-512: @noble/post-quantum's 897-byte encoding, header included. */
export const PUBLIC_KEY_LENGTH: Readonly<Record<Scheme, number>> = { ecdsa: 33, falcon: 897 };

/** Falcon's public-key header byte is 0x00 + log2(n); n = 512 gives 0x09. */
export const FALCON512_PUBLIC_KEY_HEADER = 0x09;

export function isScheme(value: unknown): value is Scheme {
  return value === 'falcon' || value === 'ecdsa';
}

export function assertScheme(value: unknown): Scheme {
  if (!isScheme(value)) {
    throw new CryptoError('UNSUPPORTED', `unknown signature scheme ${JSON.stringify(value)}; expected falcon or ecdsa`);
  }
  return value;
}

export function schemeOfVersion(version: number): Scheme | undefined {
  if (version === ADDRESS_VERSION.ecdsa) return 'ecdsa';
  if (version === ADDRESS_VERSION.falcon) return 'falcon';
  return undefined;
}

/** Why `publicKey` cannot be a public key of `scheme`, or undefined if its length and leading byte fit. */
export function publicKeyProblem(scheme: Scheme, publicKey: Uint8Array): string | undefined {
  const expected = PUBLIC_KEY_LENGTH[scheme];
  if (publicKey.length !== expected) return `${scheme} public key must be ${expected} bytes, got ${publicKey.length}`;
  if (scheme === 'ecdsa' && publicKey[0] !== 0x02 && publicKey[0] !== 0x03) {
    return 'ecdsa public key must be a compressed secp256k1 point (first byte 02 or 03)';
  }
  if (scheme === 'falcon' && publicKey[0] !== FALCON512_PUBLIC_KEY_HEADER) {
    return 'falcon public key must start with the Falcon-512 header byte 09';
  }
  return undefined;
}

/** Checks length and leading byte only; whether an ECDSA key is on the curve is checked when it verifies. */
export function assertPublicKey(scheme: Scheme, publicKey: Uint8Array): void {
  const problem = publicKeyProblem(scheme, publicKey);
  if (problem !== undefined) throw new CryptoError('BAD_KEY', problem);
}
