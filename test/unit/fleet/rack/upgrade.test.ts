/**
 * The rolling upgrade's rules against a simulated rack (executor and explorer APIs in memory): the standby first,
 * then roles 4 … 0; never a stop while another server is down or behind; a server that does not come back stops
 * the upgrade with the record saying who runs what.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHosts, readRecord, upgradeRack, type HostExecutor, type RackDeps, type RackPlan } from '../../../../fleet/rack/index.ts';
import { RACK_GENESIS_FILE, newRecord, withServer, writeRecord } from '../../../../fleet/rack/record.ts';
import { demoParams, encodeGenesis, genesisFromSecrets, newGenesisSecrets } from '../../../../node/ledger/index.ts';
import { labelledBytes } from '../../../support/seeded.ts';

interface SimServer {
  pid: number | null;
  height: number;
  /** Comes back after a restart (false: it never answers again). */
  healthy: boolean;
}

function simRack(dir: string) {
  const hosts = parseHosts(Array.from({ length: 6 }, (_, i) => ({ name: `r${i}`, address: `10.9.0.${i + 1}` })));
  const plan: RackPlan = { chainName: 'sim', hosts, p2pPort: 7610, httpPort: 7700, root: '/srv', command: ['ame-1'], executor: 'local' };
  const secrets = newGenesisSecrets(6, labelledBytes('upgrade sim'));
  const genesis = genesisFromSecrets(secrets, { chainName: 'sim', supply: 10n ** 12n, timeMs: 0, params: demoParams, rs0: new Uint8Array(32) });
  let record = newRecord(plan, secrets, '00'.repeat(32));
  const servers = new Map<string, SimServer>(hosts.map((h, i) => [h.address, { pid: 100 + i, height: 10, healthy: true }]));
  hosts.forEach((h, i) => (record = withServer(record, h.name, { pid: 100 + i, startedAt: 0 })));
  writeRecord(dir, record);
  writeFileSync(join(dir, RACK_GENESIS_FILE), encodeGenesis(genesis));
  const events: string[] = [];
  let nextPid = 200;
  const byPid = (pid: number) => [...servers.values()].find((s) => s.pid === pid);
  const executor: HostExecutor = {
    put: () => Promise.resolve(),
    launch: (host, argv) => {
      const server = servers.get(host.address)!;
      events.push(`launch ${host.name} ${argv[0]}`);
      server.pid = server.healthy ? nextPid++ : null;
      return Promise.resolve(nextPid++);
    },
    signal: (host, pid, signal) => {
      const server = byPid(pid);
      if (server === undefined) return Promise.resolve(false);
      events.push(`${signal} ${host.name}`);
      server.pid = null;
      return Promise.resolve(true);
    },
    alive: (_host, pid) => Promise.resolve(byPid(pid) !== undefined),
  };
  let now = 0;
  const deps: RackDeps = {
    executor,
    random: labelledBytes('unused'),
    now: () => now,
    sleep: (ms) => ((now += ms), Promise.resolve()),
    fetch: (url) => {
      const server = servers.get(new URL(url).hostname)!;
      if (server.pid === null) return Promise.reject(new Error('ECONNREFUSED'));
      const body = url.endsWith('/api/head') ? { height: String(server.height) } : { roles: [] };
      return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(body) });
    },
    // Every answering server follows the chain: a probe adds a block everywhere.
    probe: () => {
      const height = Math.max(...[...servers.values()].map((s) => s.height)) + 1;
      for (const s of servers.values()) if (s.pid !== null) s.height = height;
      return Promise.resolve(height);
    },
  };
  return { servers, events, deps, hosts };
}

describe('upgradeRack', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ame-rack-upgrade-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('moves the standby first, then roles 4 … 0, one stop and one start at a time, and records each', async () => {
    const sim = simRack(dir);
    const upgraded = await upgradeRack(dir, ['ame-2'], sim.deps);
    expect(upgraded).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    expect(sim.events).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0'].flatMap((n) => [`SIGTERM ${n}`, `launch ${n} ame-2`]));
    expect(readRecord(dir).servers.map((s) => s.command)).toEqual(Array(6).fill(['ame-2']));
    // Run again: nothing left to do.
    expect(await upgradeRack(dir, ['ame-2'], sim.deps)).toEqual([]);
  });

  it('stops no server while another one is down or behind (QUORUM_AT_RISK)', async () => {
    const sim = simRack(dir);
    sim.servers.get('10.9.0.3')!.pid = null; // r2 is down
    await expect(upgradeRack(dir, ['ame-2'], sim.deps)).rejects.toMatchObject({ code: 'QUORUM_AT_RISK', message: expect.stringContaining('r2 not answering') });
    expect(sim.events).toEqual([]);
    sim.servers.get('10.9.0.3')!.pid = 102;
    sim.servers.get('10.9.0.2')!.height = 2; // r1 far behind
    await expect(upgradeRack(dir, ['ame-2'], sim.deps)).rejects.toMatchObject({ code: 'QUORUM_AT_RISK', message: expect.stringContaining('r1 at height 2 of 10') });
    expect(sim.events).toEqual([]);
  });

  it('ends at a server that does not come back, leaving the rest on the old release', async () => {
    const sim = simRack(dir);
    sim.servers.get('10.9.0.5')!.healthy = false; // r4 will not start again
    await expect(upgradeRack(dir, ['ame-2'], sim.deps, { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'NOT_HEALTHY', message: expect.stringContaining('r4 did not answer') });
    expect(sim.events).toEqual(['SIGTERM r5', 'launch r5 ame-2', 'SIGTERM r4', 'launch r4 ame-2']);
    expect(readRecord(dir).servers.map((s) => s.command[0])).toEqual(['ame-1', 'ame-1', 'ame-1', 'ame-1', 'ame-2', 'ame-2']);
    // With r4 down, the next run refuses to stop anyone else.
    await expect(upgradeRack(dir, ['ame-2'], sim.deps)).rejects.toMatchObject({ code: 'QUORUM_AT_RISK' });
  });
});
