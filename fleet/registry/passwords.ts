/**
 * Password hashing for admin accounts: scrypt (node:crypto) with a per-account random salt, compared in constant
 * time. The cost is stored with each hash, so raising it later only affects new and changed passwords.
 */
import { scryptSync, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../../node/crypto/index.ts';

/** log2 of scrypt's N: 2^15 with r = 8 takes 32 MiB and tens of ms a guess on a server core. */
export const DEFAULT_PASSWORD_COST = 15;
const R = 8;
const P = 1;
const SALT_LENGTH = 16;
const HASH_LENGTH = 32;

export interface PasswordHash {
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
  readonly cost: number;
}

function derive(password: string, salt: Uint8Array, cost: number): Buffer {
  const N = 2 ** cost;
  return scryptSync(password.normalize('NFC'), salt, HASH_LENGTH, { N, r: R, p: P, maxmem: 256 * N * R });
}

export function hashPassword(password: string, random: RandomSource, cost: number): PasswordHash {
  const salt = random(SALT_LENGTH);
  return { salt, hash: derive(password, salt, cost), cost };
}

export function passwordMatches(password: string, stored: PasswordHash): boolean {
  return timingSafeEqual(derive(password, stored.salt, stored.cost), stored.hash);
}

/** Spends the time of one check when there is no account, so a login's timing does not tell usernames apart. */
export function spendPasswordCheck(password: string, cost: number): void {
  derive(password, new Uint8Array(SALT_LENGTH), cost);
}
