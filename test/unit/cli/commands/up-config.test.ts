/**
 * What `ame up` keeps in its folder: local.json is created once (mode 0600) and read back unchanged, a folder of
 * the Worker-Ring-only version is completed with the managers' keys without losing its identities, the genesis is
 * written once (with the investors' wallet) and reloaded identical, and inconsistent or damaged files are refused.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLocal, loadOrCreateGenesis, WALLET_FILE } from '../../../../cli/commands/up-config.ts';
import { decodeKeystorePublic, toHex } from '../../../../node/crypto/index.ts';
import { genesisId } from '../../../../node/ledger/index.ts';
import { ManagerError } from '../../../../node/manager/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ame-up-config-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const layout = { unities: 2, perUnity: 3, managers: 4 };
const NOW = 1_800_000_000_000;

describe('ame up data folder', () => {
  it('creates local.json once and reads it back', () => {
    const dir = folder();
    const created = loadLocal(dir, layout);
    expect(created.servers).toHaveLength(6);
    expect(created.managers).toHaveLength(4);
    expect(created.wallets.managers).toHaveLength(4);
    expect(statSync(join(dir, 'local.json')).mode & 0o777).toBe(0o600);
    expect(loadLocal(dir, { unities: 5, perUnity: 6, managers: 6 })).toEqual(created);
  });

  it('completes a folder of the Worker-Ring-only version, keeping its identities', () => {
    const dir = folder();
    const old = { authority: 'aa'.repeat(32), authorityNode: 'bb'.repeat(32), servers: ['cc'.repeat(32), 'dd'.repeat(32)], unities: 1 };
    writeFileSync(join(dir, 'local.json'), JSON.stringify(old));
    const completed = loadLocal(dir, layout);
    expect(completed).toMatchObject(old);
    expect(completed.managers).toHaveLength(4);
    expect(JSON.parse(readFileSync(join(dir, 'local.json'), 'utf8'))).toEqual(completed);
  });

  it('writes the genesis once, with the investors wallet, and reloads the same chain', async () => {
    const dir = folder();
    const config = loadLocal(dir, layout);
    const genesis = await loadOrCreateGenesis(dir, config, NOW);
    expect(genesis.managers).toHaveLength(4);
    expect(genesis.time).toBe(BigInt(NOW));
    const wallet = decodeKeystorePublic(readFileSync(join(dir, WALLET_FILE), 'utf8'));
    expect(wallet.address).toBe(genesis.accounts.investors);
    const again = await loadOrCreateGenesis(dir, config, NOW + 60_000);
    expect(toHex(genesisId(again))).toBe(toHex(genesisId(genesis)));
  });

  it('refuses a genesis of other managers and a damaged local.json', async () => {
    const dir = folder();
    await loadOrCreateGenesis(dir, loadLocal(dir, layout), NOW);
    const other = folder();
    const otherConfig = loadLocal(other, layout);
    await expect(loadOrCreateGenesis(dir, otherConfig, NOW)).rejects.toThrow(/managers are not the ones/);
    writeFileSync(join(other, 'local.json'), '{"authority": "xyz"}');
    expect(codeOf(() => loadLocal(other, layout), ManagerError)).toBe('BAD_CONFIG');
    writeFileSync(join(other, 'local.json'), 'not json');
    expect(codeOf(() => loadLocal(other, layout), ManagerError)).toBe('BAD_CONFIG');
  });
});
