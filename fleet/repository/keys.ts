/**
 * Role keys kept in a folder, one Ed25519 seed per file (`<role>.key`, 64 hex digits, mode 0600), made on the
 * first start. Online keys by design: the controller signs timestamps and director documents unattended. The root
 * key lives here only until an offline ceremony retires it (root-files.ts, docs/fleet.md "Offline root keys").
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { Ed25519KeyPair, fromHex, toHex, type RandomSource } from '../../node/crypto/index.ts';
import { RepositoryError } from './errors.ts';

const SEED = /^[0-9a-f]{64}$/;

const defaultRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

/** The key of `<dir>/<name>.key`, made from `random` when the file does not exist. */
export function loadOrCreateKey(dir: string, name: string, random: RandomSource = defaultRandom): Ed25519KeyPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${name}.key`);
  if (!existsSync(path)) writeFileAtomic(path, `${toHex(random(32))}\n`, SECRET_MODE);
  const text = readFileSync(path, 'utf8').trim();
  if (!SEED.test(text)) throw new RepositoryError('BAD_KEYS', `${path} does not hold a 32-byte seed in hex`);
  return Ed25519KeyPair.fromSeed(fromHex(text, 'seed', 32));
}

/** One key per role, each role with threshold 1 (one online key). */
export function loadRoleKeys<R extends string>(dir: string, roles: readonly R[], random?: RandomSource) {
  const configs = {} as Record<R, { keys: Ed25519KeyPair[]; threshold: number }>;
  for (const role of roles) configs[role] = { keys: [loadOrCreateKey(dir, role, random)], threshold: 1 };
  return configs;
}
