import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutRack, parseHosts, RackError, type RackPlan } from '../../../../fleet/rack/index.ts';
import { peerIdOf } from '../../../../node/crypto/index.ts';
import { newGenesisSecrets, seedKey } from '../../../../node/ledger/index.ts';
import { labelledBytes } from '../../../support/seeded.ts';

const six = () => Array.from({ length: 6 }, (_, i) => ({ name: `rack-${i}`, address: `10.0.0.${i + 10}`, target: `admin@rack-${i}` }));

function refusal(raw: unknown): string {
  try {
    parseHosts(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(RackError);
    expect((error as RackError).code).toBe('BAD_HOSTS');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('parseHosts', () => {
  it('takes six named hosts with their addresses and SSH destinations, in role order', () => {
    const hosts = parseHosts(six());
    expect(hosts.map((h) => h.name)).toEqual(['rack-0', 'rack-1', 'rack-2', 'rack-3', 'rack-4', 'rack-5']);
    expect(hosts[3]).toEqual({ name: 'rack-3', address: '10.0.0.13', target: 'admin@rack-3' });
  });

  it('refuses what a rack cannot use, naming it', () => {
    expect(refusal(six().slice(0, 5))).toContain('exactly 6 hosts');
    expect(refusal({ hosts: six() })).toContain('JSON list');
    expect(refusal(six().map((h, i) => (i === 4 ? { ...h, name: 'rack-1' } : h)))).toContain('two hosts have the name rack-1');
    expect(refusal(six().map((h, i) => (i === 2 ? { ...h, address: '10.0.0.10' } : h)))).toContain('two hosts have the address 10.0.0.10');
    expect(refusal(six().map((h, i) => (i === 1 ? { ...h, address: '10.0.0.300' } : h)))).toContain('host 1 (rack-1): "address"');
    expect(refusal(six().map((h, i) => (i === 0 ? { ...h, name: '../etc' } : h)))).toContain('host 0: "name"');
    // An option smuggled in as the SSH destination.
    expect(refusal(six().map((h, i) => (i === 5 ? { ...h, target: '-oProxyCommand=sh' } : h)))).toContain('"target"');
  });

  it('never throws anything but BAD_HOSTS on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        try {
          parseHosts(raw);
        } catch (error) {
          expect((error as RackError).code).toBe('BAD_HOSTS');
        }
      }),
    );
  });
});

describe('layoutRack', () => {
  it('gives host i role i, its own node key (0600), the genesis and a config naming all six at their addresses', () => {
    const secrets = newGenesisSecrets(6, labelledBytes('rack plan'));
    const plan: RackPlan = { chainName: 'lab', hosts: parseHosts(six()), p2pPort: 7610, httpPort: 7700, root: '/srv/ame', command: ['ame'], executor: 'ssh' };
    const genesis = new Uint8Array([1, 2, 3]);
    const layouts = layoutRack(plan, secrets, genesis);
    expect(layouts.map((l) => l.role)).toEqual([0, 1, 2, 3, 4, 5]);
    const three = layouts[3]!;
    expect(three.folder).toBe('/srv/ame/rack-3');
    expect(three.args).toEqual(['manager', 'run', '--config', '/srv/ame/rack-3/manager.json']);
    expect(three.api).toBe('http://10.0.0.13:7700');
    const file = (name: string) => three.files.find((f) => f.path === `/srv/ame/rack-3/${name}`)!;
    expect(new TextDecoder().decode(file('node.key').bytes).trim()).toBe(secrets.managers[3]);
    expect(file('node.key').mode).toBe(0o600);
    expect(file('genesis.cbor').bytes).toEqual(genesis);
    const config = JSON.parse(new TextDecoder().decode(file('manager.json').bytes));
    expect(config).toMatchObject({ index: 3, listen: ['/ip4/10.0.0.13/tcp/7610'], http: { host: '10.0.0.13', port: 7700 }, nodeKey: 'node.key', genesis: 'genesis.cbor' });
    expect(config.peers).toEqual(secrets.managers.map((seed, i) => ({ id: peerIdOf(seedKey(seed)), addrs: [`/ip4/10.0.0.${i + 10}/tcp/7610`] })));
  });
});
