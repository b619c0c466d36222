/**
 * The checks of `ame fleet rack provision --join` before any host is touched (a folder that is not the existing
 * rack's, a genesis of another chain, governance keys missing, hosts that clash with the existing ones: typed
 * RackErrors naming what is wrong), the joined servers' config, and the steps by which the ring grows.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHostsApart, joinRack, joinSteps, layoutRack, parseHosts, quorumOf, readJoinSource, RackError, type RackDeps, type RackPlan } from '../../../../fleet/rack/index.ts';
import { hasRecord, newRecord, RACK_FILE, RACK_GENESIS_FILE, writeRecord } from '../../../../fleet/rack/record.ts';
import { peerIdOf, toHex } from '../../../../node/crypto/index.ts';
import { demoParams, encodeGenesis, genesisFromSecrets, genesisId, newGenesisSecrets, seedKey, type GenesisSecrets } from '../../../../node/ledger/index.ts';
import { labelledBytes } from '../../../support/seeded.ts';

const hosts = (base: number, prefix = 'r') => parseHosts(Array.from({ length: 6 }, (_, i) => ({ name: `${prefix}${i}`, address: `10.9.0.${base + i}` })));
const planOf = (base: number, prefix?: string): RackPlan => ({ chainName: 'lab', hosts: hosts(base, prefix), p2pPort: 7610, httpPort: 7700, root: '/srv', command: ['ame'], executor: 'local' });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-join-plan-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An existing rack's folder as `provision` leaves it; `change` edits its secrets first. */
function existingRack(change: (s: GenesisSecrets) => unknown = (s) => s, folder = join(dir, 'rack')): GenesisSecrets {
  const secrets = newGenesisSecrets(6, labelledBytes('join plan'));
  const genesis = genesisFromSecrets(secrets, { chainName: 'lab', supply: 10n ** 12n, timeMs: 0, params: demoParams, rs0: new Uint8Array(32) });
  const bytes = encodeGenesis(genesis);
  writeRecord(folder, newRecord(planOf(1), change(secrets) as GenesisSecrets, toHex(genesisId(genesis))));
  writeFileSync(join(folder, RACK_GENESIS_FILE), bytes);
  return secrets;
}

function joinRefusal(folder: string): RackError {
  try {
    readJoinSource(folder);
  } catch (error) {
    expect(error).toBeInstanceOf(RackError);
    return error as RackError;
  }
  throw new Error('accepted');
}

describe('readJoinSource', () => {
  it('takes the existing rack: its genesis and the threshold of its governance keys, with their genesis places', () => {
    existingRack();
    const source = readJoinSource(join(dir, 'rack'));
    expect(source.signers.map((s) => s.index)).toEqual([0, 1]);
    expect(source.genesis.governance.threshold).toBe(2);
    expect(source.funder.address).toBe(source.genesis.accounts.investors);
  });

  it('refuses a folder without a rack, naming the folder', () => {
    const e = joinRefusal(join(dir, 'nowhere'));
    expect(e.code).toBe('BAD_JOIN');
    expect(e.message).toContain(`${join(dir, 'nowhere')} holds no rack (rack.json)`);
  });

  it('refuses a rack.json that is not a rack record', () => {
    existingRack();
    writeFileSync(join(dir, 'rack', RACK_FILE), '{"format": "something/else"}');
    expect(joinRefusal(join(dir, 'rack'))).toMatchObject({ code: 'BAD_JOIN', message: expect.stringContaining('is not a rack record') });
  });

  it('refuses a missing genesis, and the genesis of another chain', () => {
    existingRack();
    rmSync(join(dir, 'rack', RACK_GENESIS_FILE));
    expect(joinRefusal(join(dir, 'rack'))).toMatchObject({ code: 'BAD_JOIN', message: expect.stringContaining(`${RACK_GENESIS_FILE}: not the rack's genesis`) });
    const other = genesisFromSecrets(newGenesisSecrets(6, labelledBytes('another chain')), { chainName: 'x', supply: 10n ** 12n, timeMs: 0, params: demoParams, rs0: new Uint8Array(32) });
    writeFileSync(join(dir, 'rack', RACK_GENESIS_FILE), encodeGenesis(other));
    expect(joinRefusal(join(dir, 'rack')).message).toMatch(/is the genesis of chain [0-9a-f]{64}, but .* is a rack of chain/);
  });

  it('refuses a rack.json without governance keys, or with fewer than the threshold of the genesis', () => {
    existingRack((s) => ({ ...s, wallets: { ...s.wallets, governance: undefined } }));
    expect(joinRefusal(join(dir, 'rack'))).toMatchObject({ code: 'BAD_JOIN', message: expect.stringContaining('holds no governance keys (secrets.wallets.governance)') });
    existingRack((s) => ({ ...s, wallets: { ...s.wallets, governance: s.wallets.governance.slice(2) } }));
    expect(joinRefusal(join(dir, 'rack')).message).toContain("holds 1 of the genesis's 3 governance keys; 2 must sign a reconfigure (governance key missing)");
    // Keys the genesis does not name do not count; a key listed twice counts once.
    existingRack((s) => ({ ...s, wallets: { ...s.wallets, governance: [s.wallets.governance[1], s.wallets.governance[1], s.wallets.investors] } }));
    expect(joinRefusal(join(dir, 'rack')).message).toContain("holds 1 of the genesis's 3 governance keys");
    existingRack((s) => ({ ...s, wallets: { ...s.wallets, governance: ['zz', s.wallets.governance[0]] } }));
    expect(joinRefusal(join(dir, 'rack')).message).toContain('governance key 0 is not a wallet');
  });

  it('refuses a joined rack, pointing at the rack that made the chain', () => {
    const plan = planOf(1);
    const secrets = { managers: [], payouts: [], probe: '00'.repeat(32) };
    writeRecord(join(dir, 'joined'), newRecord(plan, secrets, '00'.repeat(32), { from: '/ops/rack-a', peers: [], apis: [], steps: [], probeHeight: null }));
    expect(joinRefusal(join(dir, 'joined')).message).toContain('is itself a joined rack and holds no governance keys; give the folder of the rack that made the chain (/ops/rack-a)');
  });
});

describe('joinRack refuses before it touches a host or writes DIR', () => {
  it('bad join folder, governance key missing, clashing hosts: typed errors, no executor call, no rack.json', async () => {
    const calls: string[] = [];
    const deps: RackDeps = {
      executor: {
        put: (h) => (calls.push(`put ${h.name}`), Promise.resolve()),
        launch: (h) => (calls.push(`launch ${h.name}`), Promise.resolve(1)),
        signal: () => Promise.resolve(false),
        alive: () => Promise.resolve(false),
      },
      fetch: () => Promise.reject(new Error('no network in this test')),
      random: labelledBytes('join refusals'),
      now: () => 0,
      sleep: () => Promise.resolve(),
    };
    const target = join(dir, 'new');
    await expect(joinRack(target, planOf(21, 'n'), join(dir, 'missing'), deps)).rejects.toMatchObject({ code: 'BAD_JOIN' });
    existingRack((s) => ({ ...s, wallets: { ...s.wallets, governance: s.wallets.governance.slice(0, 1) } }));
    await expect(joinRack(target, planOf(21, 'n'), join(dir, 'rack'), deps)).rejects.toMatchObject({ code: 'BAD_JOIN', message: expect.stringContaining('governance key missing') });
    existingRack();
    await expect(joinRack(target, planOf(1, 'n'), join(dir, 'rack'), deps)).rejects.toMatchObject({ code: 'BAD_HOSTS', message: expect.stringContaining("10.9.0.1:7610 is an existing server's address and port") });
    await expect(joinRack(target, { ...planOf(21, 'n'), hosts: hosts(21, 'n').slice(0, 5) }, join(dir, 'rack'), deps)).rejects.toMatchObject({ code: 'BAD_HOSTS' });
    await expect(joinRack(join(dir, 'rack'), planOf(21, 'n'), join(dir, 'rack'), deps)).rejects.toMatchObject({ code: 'ALREADY_PROVISIONED' });
    expect(calls).toEqual([]);
    expect(hasRecord(target)).toBe(false);
  });
});

describe('checkHostsApart', () => {
  it('refuses an existing host name or an existing server address and port; another port on the same address is fine', () => {
    const existing = planOf(1);
    expect(() => checkHostsApart(planOf(21), existing)).toThrow(/host r0: the existing rack has a host of that name/);
    expect(() => checkHostsApart({ ...planOf(1, 'n'), httpPort: 7610, p2pPort: 7611 }, existing)).toThrow(/10\.9\.0\.1:7610 is an existing server's address and port/);
    expect(() => checkHostsApart({ ...planOf(1, 'n'), p2pPort: 7611, httpPort: 7701 }, existing)).not.toThrow();
    expect(() => checkHostsApart(planOf(21, 'n'), existing)).not.toThrow();
  });
});

describe('layoutRack for a joined rack', () => {
  it('starts by state sync, has no genesis index, and knows the existing servers before its own', () => {
    const secrets = newGenesisSecrets(6, labelledBytes('joined layout'));
    const ring = [{ id: 'existing-0', addrs: ['/ip4/10.9.0.1/tcp/7610'] }];
    const layouts = layoutRack(planOf(21, 'n'), secrets, new Uint8Array([1]), ring);
    const config = JSON.parse(new TextDecoder().decode(layouts[2]!.files.find((f) => f.path.endsWith('manager.json'))!.bytes)) as Record<string, unknown>;
    expect(config['sync']).toBe(true);
    expect(config).not.toHaveProperty('index');
    expect(config['peers']).toEqual([...ring, ...secrets.managers.map((seed, i) => ({ id: peerIdOf(seedKey(seed)), addrs: [`/ip4/10.9.0.${21 + i}/tcp/7610`] }))]);
    // A rack of its own keeps its index and no sync.
    const own = JSON.parse(new TextDecoder().decode(layoutRack(planOf(21, 'n'), secrets, new Uint8Array([1]))[2]!.files.find((f) => f.path.endsWith('manager.json'))!.bytes)) as Record<string, unknown>;
    expect(own).toMatchObject({ index: 2 });
    expect(own).not.toHaveProperty('sync');
  });
});

describe('joinSteps', () => {
  it('grows six by six as 6 → 7 → 8 → 10 → 12', () => {
    expect(joinSteps(6, 6)).toEqual([1, 1, 2, 2]);
    expect(joinSteps(6, 0)).toEqual([]);
    expect(() => joinSteps(0, 6)).toThrow(RangeError);
  });

  it('adds everything, and each step of more than one keeps the running servers less one a quorum of the larger set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 60 }), (current, adding) => {
        const steps = joinSteps(current, adding);
        expect(steps.reduce((a, b) => a + b, 0)).toBe(adding);
        let n = current;
        let left = adding;
        for (const k of steps) {
          expect(k).toBeGreaterThanOrEqual(1);
          if (k > 1) expect(n - 1).toBeGreaterThanOrEqual(quorumOf(n + k));
          // As many as allowed: one more (when any are left) would break it.
          if (k < left) expect(n - 1 >= quorumOf(n + k + 1)).toBe(false);
          n += k;
          left -= k;
        }
      }),
    );
  });
});
