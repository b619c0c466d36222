/**
 * Provisioning (SPEC.md §9, §6 item 1): on the first boot — no node key yet — create the data dir, the node
 * identity and the device's own wallet. The payout account is the owner's address when the config names one, else
 * the device wallet's. The wallet is made either way: a registration must be signed by an account key, and the
 * device holds none of the owner's — it registers with its own and the owner re-binds the payout later (§6).
 * Every later boot runs the same steps and finds everything there, so it creates nothing; a wallet kept by a
 * factory reset is found and used again.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { KeystorePublic, Scheme } from '../../node/crypto/index.ts';
import type { DeviceConfig } from '../config/schema.ts';
import { DeviceError, describeError } from '../errors.ts';
import type { DeviceLayout } from '../layout.ts';
import { createNodeIdentity, createWallet, ensurePrivateDir, readNodeIdentity, readWalletPublic, type NodeIdentity } from './identity.ts';

export interface PayoutAccount {
  readonly address: string;
  /** 'config': the owner's address from the config; 'wallet': the device's own wallet keystore. */
  readonly source: 'config' | 'wallet';
}

export interface Provisioned {
  /** No node identity existed: this boot made one (the agent shows the provisioning state). */
  readonly firstBoot: boolean;
  readonly identity: NodeIdentity;
  readonly payout: PayoutAccount;
  /** The device's own wallet (also when the owner's address is the payout account). */
  readonly wallet: KeystorePublic;
  /** What this call created, for the log and tests: 'data dir', 'node identity', 'wallet'. */
  readonly created: readonly string[];
}

/** Whether this boot is a first boot: no node identity on disk. */
export function isFirstBoot(layout: DeviceLayout): boolean {
  return !existsSync(layout.nodeKeyFile);
}

export interface ProvisionOptions {
  readonly layout: DeviceLayout;
  readonly config: DeviceConfig;
  /** Wall-clock ms for the keystore's creation date. */
  readonly nowMs: number;
  readonly walletScheme?: Scheme;
  readonly logger?: Logger;
}

export async function provision(options: ProvisionOptions): Promise<Provisioned> {
  const { layout, config, logger } = options;
  const created: string[] = [];
  try {
    if (!existsSync(layout.dataDir)) {
      mkdirSync(layout.dataDir, { recursive: true, mode: 0o700 });
      created.push('data dir');
    }
    ensurePrivateDir(layout.agentDir);
    mkdirSync(layout.nodeDir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new DeviceError('PROVISION_FAILED', `the data dir cannot be created (${describeError(cause)})`, { field: layout.dataDir, cause });
  }

  let identity = readNodeIdentity(layout);
  const firstBoot = identity === null;
  if (identity === null) {
    identity = wrap(layout.nodeKeyFile, 'the node identity cannot be written', () => createNodeIdentity(layout));
    created.push('node identity');
    logger?.info({ peerId: identity.peerId }, 'created the node identity');
  }

  let wallet = readWalletPublic(layout);
  if (wallet === null) {
    wallet = await wrapAsync(layout.walletFile, 'the wallet keystore cannot be written', () =>
      createWallet(layout, options.nowMs, options.walletScheme),
    );
    created.push('wallet');
    logger?.warn(
      { address: wallet.address, file: layout.walletFile },
      'created the device wallet in a plain keystore (mode 0600, no password on a headless device): back up its phrase',
    );
  }
  const payout: PayoutAccount =
    config.payoutAddress !== null ? { address: config.payoutAddress, source: 'config' } : { address: wallet.address, source: 'wallet' };
  return { firstBoot, identity, payout, wallet, created };
}

function wrap<T>(field: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof DeviceError) throw cause;
    throw new DeviceError('PROVISION_FAILED', `${what} (${describeError(cause)})`, { field, cause });
  }
}

async function wrapAsync<T>(field: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof DeviceError) throw cause;
    throw new DeviceError('PROVISION_FAILED', `${what} (${describeError(cause)})`, { field, cause });
  }
}
