/**
 * The node identity and the device's own wallet on disk, through node/crypto: an Ed25519 node key (its PeerId is
 * the device id) kept as a hex seed the way node/client keeps its session key, and a keystore file written with
 * writeKeystoreFile (never over an existing one). A file that exists but does not hold what it should is refused,
 * never replaced: a new node key would be a new node, a new wallet would orphan the old one's funds.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import {
  decodeKeystorePublic,
  Ed25519KeyPair,
  encodeKeystore,
  fromHex,
  type KeystorePublic,
  peerIdOf,
  readKeystoreFile,
  type Scheme,
  toHex,
  Wallet,
  writeKeystoreFile,
} from '../../node/crypto/index.ts';
import { writeFileAtomic } from '../../node/client/json-file.ts';
import { DeviceError, describeError } from '../errors.ts';
import type { DeviceLayout } from '../layout.ts';

const PRIVATE_DIR = 0o700;
const SECRET_FILE = 0o600;

export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR });
  // The umask may have narrowed the mode given to mkdir; set it exactly, as keystore-file.ts does for files.
  chmodSync(path, PRIVATE_DIR);
}

export interface NodeIdentity {
  readonly key: Ed25519KeyPair;
  readonly peerId: string;
}

export function readNodeIdentity(layout: DeviceLayout): NodeIdentity | null {
  if (!existsSync(layout.nodeKeyFile)) return null;
  let text: string;
  try {
    text = readFileSync(layout.nodeKeyFile, 'utf8').trim();
  } catch (cause) {
    throw new DeviceError('PROVISION_FAILED', `the node key cannot be read (${describeError(cause)})`, { field: layout.nodeKeyFile, cause });
  }
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new DeviceError('PROVISION_FAILED', 'not a 32-byte seed in hex: the node identity is damaged (a factory reset makes a new one)', {
      field: layout.nodeKeyFile,
    });
  }
  const key = Ed25519KeyPair.fromSeed(fromHex(text));
  return { key, peerId: peerIdOf(key) };
}

export function createNodeIdentity(layout: DeviceLayout, random?: (n: number) => Uint8Array): NodeIdentity {
  ensurePrivateDir(layout.identityDir);
  const key = random ? Ed25519KeyPair.generate(random) : Ed25519KeyPair.generate();
  writeFileAtomic(layout.nodeKeyFile, `${toHex(key.seed())}\n`, SECRET_FILE);
  return { key, peerId: peerIdOf(key) };
}

/** The public part of the device's wallet keystore, or null when there is none. */
export function readWalletPublic(layout: DeviceLayout): KeystorePublic | null {
  if (!existsSync(layout.walletFile)) return null;
  try {
    return decodeKeystorePublic(readKeystoreFile(layout.walletFile));
  } catch (cause) {
    throw new DeviceError('PROVISION_FAILED', `the wallet keystore is unreadable (${describeError(cause)}); it is left as it is`, {
      field: layout.walletFile,
      cause,
    });
  }
}

/**
 * A new wallet in a plain keystore: a headless device has nobody to type a password at boot (SPEC.md §3), so the
 * file is private (0600) and the agent says so in its log.
 */
export async function createWallet(layout: DeviceLayout, nowMs: number, scheme: Scheme = 'falcon'): Promise<KeystorePublic> {
  ensurePrivateDir(layout.walletDir);
  const keystore = await encodeKeystore(Wallet.generate(scheme), {}, nowMs);
  writeKeystoreFile(layout.walletFile, keystore);
  return decodeKeystorePublic(keystore);
}
