/**
 * Provisioning tokens as text: `ampt1.<id>.<secret>`, both parts base64url (16 and 32 random bytes). The id
 * names the stored token and may appear in logs and in the admin's lists; the secret is shown once, when the token
 * is issued, and only its SHA-256 is stored. A 256-bit random secret needs no slow password hash: nobody can
 * guess it, so a stolen store yields nothing to try offline.
 */
import { bytesEqual, sha256 } from '../../node/crypto/index.ts';
import { EnrolError } from './errors.ts';

export const TOKEN_PREFIX = 'ampt1';
export const TOKEN_ID_BYTES = 16;
export const TOKEN_SECRET_BYTES = 32;
/** Longest text worth parsing: prefix, two dots and the two base64url parts. */
export const MAX_TOKEN_TEXT =
  TOKEN_PREFIX.length + 2 + Math.ceil((TOKEN_ID_BYTES * 4) / 3) + Math.ceil((TOKEN_SECRET_BYTES * 4) / 3);

export interface ParsedProvisioningToken {
  readonly id: string;
  readonly secret: Uint8Array;
}

export function formatProvisioningToken(id: Uint8Array, secret: Uint8Array): string {
  return `${TOKEN_PREFIX}.${Buffer.from(id).toString('base64url')}.${Buffer.from(secret).toString('base64url')}`;
}

/** The token's id and secret; BAD_TOKEN for anything else. Never throws another error, never echoes the text. */
export function parseProvisioningToken(text: unknown): ParsedProvisioningToken {
  if (typeof text !== 'string') throw new EnrolError('BAD_TOKEN', `a provisioning token is text, got ${typeof text}`);
  if (text.length > MAX_TOKEN_TEXT) {
    throw new EnrolError('BAD_TOKEN', `provisioning token longer than ${MAX_TOKEN_TEXT}`);
  }
  const parts = text.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) {
    throw new EnrolError('BAD_TOKEN', `a provisioning token is ${TOKEN_PREFIX}.<id>.<secret>`);
  }
  const id = parts[1]!;
  canonicalBase64url(id, TOKEN_ID_BYTES, 'id');
  return { id, secret: canonicalBase64url(parts[2]!, TOKEN_SECRET_BYTES, 'secret') };
}

/** What the store keeps of a secret. */
export function hashSecret(secret: Uint8Array): Uint8Array {
  return sha256(secret);
}

/** Whether `secret` hashes to `stored`; both sides are hashes, so the comparison leaks nothing about the secret. */
export function secretMatches(secret: Uint8Array, stored: Uint8Array): boolean {
  return bytesEqual(hashSecret(secret), stored);
}

function canonicalBase64url(text: string, length: number, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new EnrolError('BAD_TOKEN', `provisioning token ${what} is not base64url`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== length || bytes.toString('base64url') !== text) {
    throw new EnrolError('BAD_TOKEN', `provisioning token ${what} is not ${length} bytes of canonical base64url`);
  }
  return new Uint8Array(bytes);
}
