import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig, DeviceError, factoryReset, finishPendingReset, isFirstBoot, provision, type DeviceConfig } from '../../../device/index.ts';
import { peerIdOf, readKeystoreFile, unlockKeystore, Wallet } from '../../../node/crypto/index.ts';
import { makeDeviceDirs, type DeviceDirs } from '../../support/device-rig.ts';

const made: DeviceDirs[] = [];
afterEach(() => {
  for (const d of made.splice(0)) d.remove();
});
function dirs(): DeviceDirs {
  const d = makeDeviceDirs();
  made.push(d);
  return d;
}

const NOW = Date.UTC(2025, 0, 2);
const configWith = (d: DeviceDirs, payoutAddress: string | null = null): DeviceConfig =>
  buildConfig([new Map<string, unknown>([['dataDir', d.dataDir], ['payoutAddress', payoutAddress]])]);
const mode = (path: string) => statSync(path).mode & 0o777;

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof DeviceError) return error;
    throw error;
  }
  throw new Error('expected a DeviceError');
}

describe('provisioning', () => {
  it('first boot creates the data dir, a node identity and the device wallet (Falcon by default), privately', async () => {
    const d = dirs();
    expect(isFirstBoot(d.layout)).toBe(true);
    const p = await provision({ layout: d.layout, config: configWith(d), nowMs: NOW });
    expect(p.firstBoot).toBe(true);
    expect(p.created).toEqual(['data dir', 'node identity', 'wallet']);
    expect(p.identity.peerId).toBe(peerIdOf(p.identity.key));
    expect(p.identity.peerId).toMatch(/^12D3KooW/);
    expect(readFileSync(d.layout.nodeKeyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(mode(d.layout.nodeKeyFile)).toBe(0o600);
    expect(mode(d.layout.identityDir)).toBe(0o700);
    expect(mode(d.layout.walletFile)).toBe(0o600);
    expect(p.wallet.scheme).toBe('falcon');
    expect(p.wallet.encrypted).toBe(false);
    expect(p.payout).toEqual({ address: p.wallet.address, source: 'wallet' });
    // The keystore really holds the wallet of that address.
    const wallet = await unlockKeystore(readKeystoreFile(d.layout.walletFile));
    expect(wallet.account.address).toBe(p.payout.address);
    expect(isFirstBoot(d.layout)).toBe(false);
  });

  it('is idempotent: a later boot creates nothing and finds the same identity and wallet', async () => {
    const d = dirs();
    const first = await provision({ layout: d.layout, config: configWith(d), nowMs: NOW, walletScheme: 'ecdsa' });
    const keyBytes = readFileSync(d.layout.nodeKeyFile);
    const walletBytes = readFileSync(d.layout.walletFile);
    const again = await provision({ layout: d.layout, config: configWith(d), nowMs: NOW + 1000, walletScheme: 'ecdsa' });
    expect(again.firstBoot).toBe(false);
    expect(again.created).toEqual([]);
    expect(again.identity.peerId).toBe(first.identity.peerId);
    expect(again.payout).toEqual(first.payout);
    expect(readFileSync(d.layout.nodeKeyFile)).toEqual(keyBytes);
    expect(readFileSync(d.layout.walletFile)).toEqual(walletBytes);
  });

  it("the owner's payout address from the config is the payout account; the device still gets a wallet to register with", async () => {
    const d = dirs();
    const owner = Wallet.generate('ecdsa').account.address;
    const p = await provision({ layout: d.layout, config: configWith(d, owner), nowMs: NOW, walletScheme: 'ecdsa' });
    expect(p.payout).toEqual({ address: owner, source: 'config' });
    expect(p.wallet.address).not.toBe(owner);
    expect(existsSync(d.layout.walletFile)).toBe(true);
    expect(p.created).toEqual(['data dir', 'node identity', 'wallet']);
  });

  it('refuses a damaged node key or keystore instead of replacing it', async () => {
    const d = dirs();
    await provision({ layout: d.layout, config: configWith(d), nowMs: NOW, walletScheme: 'ecdsa' });
    writeFileSync(d.layout.walletFile, '{"format":"nope"}');
    const wallet = await rejection(provision({ layout: d.layout, config: configWith(d), nowMs: NOW }));
    expect(wallet.code).toBe('PROVISION_FAILED');
    expect(wallet.field).toBe(d.layout.walletFile);
    expect(readFileSync(d.layout.walletFile, 'utf8')).toBe('{"format":"nope"}');
    writeFileSync(d.layout.nodeKeyFile, 'zz\n');
    const key = await rejection(provision({ layout: d.layout, config: configWith(d), nowMs: NOW }));
    expect(key).toMatchObject({ code: 'PROVISION_FAILED', field: d.layout.nodeKeyFile });
    expect(readFileSync(d.layout.nodeKeyFile, 'utf8')).toBe('zz\n');
  });

  it('a data dir that cannot be created is PROVISION_FAILED naming it', async () => {
    const d = dirs();
    writeFileSync(join(d.root, 'file'), 'x');
    const config = buildConfig([new Map([['dataDir', join(d.root, 'file', 'data')]])]);
    const layout = { ...d.layout, dataDir: join(d.root, 'file', 'data') };
    const error = await rejection(provision({ layout, config, nowMs: NOW }));
    expect(error).toMatchObject({ code: 'PROVISION_FAILED', field: layout.dataDir });
  });
});

describe('factory reset', () => {
  async function provisioned(d: DeviceDirs) {
    const p = await provision({ layout: d.layout, config: configWith(d), nowMs: NOW, walletScheme: 'ecdsa' });
    writeFileSync(d.layout.configFile, '{}\n');
    writeFileSync(d.layout.desiredFile, '{}\n');
    mkdirSync(join(d.layout.nodeDir, 'worker'), { recursive: true });
    writeFileSync(join(d.layout.nodeDir, 'worker', 'blobs.sqlite'), 'data');
    return p;
  }

  it('wipes config, data and node identity, keeps the wallet, after the graceful exit', async () => {
    const d = dirs();
    const p = await provisioned(d);
    const walletBytes = readFileSync(d.layout.walletFile);
    const order: string[] = [];
    const outcome = await factoryReset({
      layout: d.layout,
      wipeWallet: false,
      beforeReset: async () => {
        order.push(`exit (identity still there: ${existsSync(d.layout.nodeKeyFile)})`);
      },
    });
    expect(order).toEqual(['exit (identity still there: true)']);
    expect(outcome).toEqual({ wiped: ['agent', 'config.json', 'identity', 'node'], keptWallet: true });
    expect(readdirSync(d.dataDir)).toEqual(['wallet']);
    expect(readFileSync(d.layout.walletFile)).toEqual(walletBytes);
    // The next boot is a first boot again, with a new identity and the same payout account.
    const next = await provision({ layout: d.layout, config: configWith(d), nowMs: NOW });
    expect(next.firstBoot).toBe(true);
    expect(next.identity.peerId).not.toBe(p.identity.peerId);
    expect(next.payout).toEqual(p.payout);
    expect(next.created).toEqual(['node identity']);
  });

  it('--wipe-wallet takes the wallet too', async () => {
    const d = dirs();
    await provisioned(d);
    const outcome = await factoryReset({ layout: d.layout, wipeWallet: true });
    expect(outcome).toEqual({ wiped: ['agent', 'config.json', 'identity', 'node', 'wallet'], keptWallet: false });
    expect(readdirSync(d.dataDir)).toEqual([]);
  });

  it('a failed graceful exit wipes nothing (the deposit is not lost)', async () => {
    const d = dirs();
    await provisioned(d);
    const before = readdirSync(d.dataDir);
    const error = await rejection(factoryReset({ layout: d.layout, wipeWallet: false, beforeReset: async () => Promise.reject(new Error('ledger unreachable')) }));
    expect(error.code).toBe('RESET_FAILED');
    expect(error.message).toContain('ledger unreachable');
    expect(readdirSync(d.dataDir)).toEqual(before);
  });

  it('a reset cut short by a power loss is finished at the next boot, keeping the wallet', async () => {
    const d = dirs();
    await provisioned(d);
    // What a power cut right after the marker leaves behind.
    writeFileSync(d.layout.resetMarker, '{"wipeWallet":false}\n');
    expect(finishPendingReset(d.layout)).toEqual({ wiped: ['agent', 'config.json', 'identity', 'node'], keptWallet: true });
    expect(readdirSync(d.dataDir)).toEqual(['wallet']);
    expect(finishPendingReset(d.layout)).toBeNull();
    // A torn marker keeps the wallet.
    writeFileSync(d.layout.resetMarker, '{"wipeWal');
    expect(finishPendingReset(d.layout)?.keptWallet).toBe(true);
    expect(readdirSync(d.dataDir)).toEqual(['wallet']);
  });
});
