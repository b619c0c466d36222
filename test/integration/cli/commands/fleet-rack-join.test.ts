/**
 * `ame fleet rack provision --join` refusals through the real CLI, before any host is touched: options that name a
 * new chain (usage, exit 2), a folder that holds no rack, a rack whose governance keys are missing — each a message
 * naming the problem, exit 1, and no rack.json written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRecord, RACK_FILE, RACK_GENESIS_FILE, writeRecord } from '../../../../fleet/rack/record.ts';
import { parseHosts, type RackPlan } from '../../../../fleet/rack/index.ts';
import { toHex } from '../../../../node/crypto/index.ts';
import { demoParams, encodeGenesis, genesisFromSecrets, genesisId, newGenesisSecrets, type GenesisSecrets } from '../../../../node/ledger/index.ts';
import { ameIn } from '../../../support/cli.ts';
import { labelledBytes } from '../../../support/seeded.ts';

let dir: string;
let ame: ReturnType<typeof ameIn>;
const hosts = (base: number) => Array.from({ length: 6 }, (_, i) => ({ name: `h${base + i}`, address: `10.8.0.${base + i}` }));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-rack-join-cli-'));
  ame = ameIn(dir);
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify(hosts(21)));
  const secrets = newGenesisSecrets(6, labelledBytes('cli join'));
  const genesis = genesisFromSecrets(secrets, { chainName: 'lab', supply: 10n ** 12n, timeMs: 0, params: demoParams, rs0: new Uint8Array(32) });
  const plan: RackPlan = { chainName: 'lab', hosts: parseHosts(hosts(1)), p2pPort: 7610, httpPort: 7700, root: '/srv', command: ['ame'], executor: 'local' };
  // Only one of the three governance keys kept: two must sign.
  const kept: GenesisSecrets = { ...secrets, wallets: { ...secrets.wallets, governance: secrets.wallets.governance.slice(1, 2) } };
  writeRecord(join(dir, 'rack'), newRecord(plan, kept, toHex(genesisId(genesis))));
  writeFileSync(join(dir, 'rack', RACK_GENESIS_FILE), encodeGenesis(genesis));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ame fleet rack provision --join', () => {
  it('refuses --chain and --params with --join (the existing genesis decides them)', async () => {
    const run = await ame('fleet', 'rack', 'provision', '--hosts', 'hosts.json', '--dir', 'new', '--join', 'rack', '--params', 'quick');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--chain and --params name a new chain; with --join the existing genesis decides them');
  });

  it('names the folder that holds no rack, and the missing governance key, writing nothing', async () => {
    const none = await ame('fleet', 'rack', 'provision', '--hosts', 'hosts.json', '--dir', 'new', '--join', 'elsewhere', '--executor', 'local');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`${join(dir, 'elsewhere')} holds no rack (rack.json): --join takes the operator folder`);
    const keys = await ame('fleet', 'rack', 'provision', '--hosts', 'hosts.json', '--dir', 'new', '--join', 'rack', '--executor', 'local');
    expect(keys.code).toBe(1);
    expect(keys.stderr).toContain("holds 1 of the genesis's 3 governance keys; 2 must sign a reconfigure (governance key missing)");
    expect(existsSync(join(dir, 'new', RACK_FILE))).toBe(false);
    // The existing rack's record is untouched.
    expect(JSON.parse(readFileSync(join(dir, 'rack', RACK_FILE), 'utf8')).secrets.wallets.governance).toHaveLength(1);
  });
});
