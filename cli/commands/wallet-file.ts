/**
 * Where a wallet file is and how a command that signs unlocks it: the password from AME_WALLET_PASSWORD, else a
 * prompt on a terminal. Shared by `ame wallet` and the commands that sign transactions or records with a wallet.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type KeystoreFile, readKeystoreFile, unlockKeystore, type Wallet } from '../../node/crypto/index.ts';
import { CliError } from '../errors.ts';
import { ask, type CliIO, interactive } from '../io.ts';

function defaultPath(io: CliIO): string {
  const dataDir = io.env['AME_DATA_DIR'] ?? join(io.env['HOME'] ?? homedir(), '.ame');
  return join(dataDir, 'wallet.json');
}

/** The wallet file: PATH (relative to the working folder), else $AME_DATA_DIR/wallet.json, else ~/.ame/wallet.json. */
export function walletPath(io: CliIO, given: string | undefined): string {
  return resolve(io.cwd, given ?? defaultPath(io));
}

export function load(path: string): KeystoreFile {
  if (!existsSync(path)) throw new CliError('NOT_FOUND', `no wallet at ${path} (create one with: ame wallet new)`);
  return readKeystoreFile(path);
}

/** The wallet at `path`, unlocked with AME_WALLET_PASSWORD or a prompt (for other commands that sign). */
export async function openWallet(io: CliIO, path: string): Promise<Wallet> {
  return unlock(io, load(path), path);
}

export async function unlock(io: CliIO, file: KeystoreFile, path: string): Promise<Wallet> {
  if (!file.encrypted) return unlockKeystore(file);
  const fromEnv = io.env['AME_WALLET_PASSWORD'];
  if (fromEnv !== undefined && fromEnv !== '') return unlockKeystore(file, fromEnv);
  if (!interactive(io)) {
    throw new CliError('NEEDS_PASSWORD', `${path} is encrypted: set AME_WALLET_PASSWORD or run in a terminal`);
  }
  return unlockKeystore(file, await ask(io, `Password for ${path}: `, true));
}
