/**
 * Issue 10, `ame fleet rack provision --join`: a rack of six manager servers is provisioned on loopback addresses
 * (127.0.0.11–16, the local executor, real processes, libp2p TCP, SQLite), then six more hosts (127.0.0.21–26) join
 * its ring by one command: reconfigures signed by two thirds of the current set add them a few at a time, each
 * starting by state sync.
 * Checked through the servers' explorer APIs: every reconfigure final at old and new servers, the ring's manager
 * set the twelve keys, the new servers holding the existing ones' state root at the same block, and transfers a
 * client submits to the new servers final at all twelve. Every server process is stopped (and checked gone) after.
 */
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rackLayout, readRecord, type HostLayout, type JoinSecrets, type RackRecord } from '../../../../fleet/rack/index.ts';
import { transferFinal } from '../../../../fleet/rack/probe.ts';
import { peerIdOf } from '../../../../node/crypto/index.ts';
import { decodeGenesis, seedKey, seedWallet, type GenesisSecrets } from '../../../../node/ledger/index.ts';
import { ExplorerClient } from '../../../../node/manager/explorer/index.ts';
import { ameIn, repoRoot } from '../../../support/cli.ts';

/** A TCP port free on loopback now (every host address below uses it: 127.0.0.0/8 is all loopback). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const pidAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};

describe('a rack joins the ring of an existing rack (loopback, twelve server processes)', () => {
  let dir: string;
  let ame: ReturnType<typeof ameIn>;
  const records = () => ['rack', 'joined'].flatMap((name) => {
    try {
      return [readRecord(join(dir, name))];
    } catch {
      return [];
    }
  });
  const logs = () =>
    records()
      .flatMap((r) => r.plan.hosts.map((h) => `--- ${h.name}\n${(() => { try { return readFileSync(join(dir, 'hosts', h.name, 'manager.log'), 'utf8').slice(-1200); } catch { return '(no log)'; } })()}`))
      .join('\n');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ame-rack-join-'));
    ame = ameIn(dir);
    const hosts = (base: number, prefix: string) => Array.from({ length: 6 }, (_, i) => ({ name: `${prefix}-${i}`, address: `127.0.0.${base + i}` }));
    writeFileSync(join(dir, 'hosts-a.json'), JSON.stringify(hosts(11, 'a')));
    writeFileSync(join(dir, 'hosts-b.json'), JSON.stringify(hosts(21, 'b')));
  });

  afterAll(async () => {
    if (dir === undefined) return;
    for (const name of ['joined', 'rack']) await ame('fleet', 'rack', 'stop', '--dir', name).catch(() => undefined);
    // Reaped: no server process of either rack runs any more (stop waits for each; SIGKILL whatever it missed).
    const left = records().flatMap((r) => r.servers.flatMap((s) => (s.pid !== null && pidAlive(s.pid) ? [s.pid] : [])));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  }, 120_000);

  it('adds six servers by reconfigures the current set signs; they sync, hold the same state and finalise with the ring', async () => {
    const [p2p, http] = [await freePort(), await freePort()];
    const command = `${process.execPath} ${join(repoRoot, 'cli', 'main.ts')}`;
    const common = ['--executor', 'local', '--command', command, '--root', join(dir, 'hosts'), '--p2p-port', String(p2p), '--http-port', String(http), '--timeout', '180'];
    const t0 = Date.now();
    const provisioned = await ame('fleet', 'rack', 'provision', '--hosts', 'hosts-a.json', '--dir', 'rack', '--params', 'quick', ...common);
    if (provisioned.code !== 0) throw new Error(`provision failed: ${provisioned.stderr}\n${provisioned.stdout}\n${logs()}`);
    const t1 = Date.now();

    const joined = await ame('fleet', 'rack', 'provision', '--hosts', 'hosts-b.json', '--dir', 'joined', '--join', 'rack', ...common);
    if (joined.code !== 0) throw new Error(`join failed: ${joined.stderr}\n${joined.stdout}\n${logs()}`);
    const t2 = Date.now();
    expect(joined.stdout).toContain('12 of 12 servers answer');
    expect(joined.stdout).toMatch(/the ring of 12 finalises: a probe transaction in final block \d+, every server has it/);

    const existing: RackRecord = readRecord(join(dir, 'rack'));
    const record: RackRecord = readRecord(join(dir, 'joined'));
    const secrets = record.secrets as JoinSecrets;
    expect(record.chainId).toBe(existing.chainId);
    expect(readFileSync(join(dir, 'joined', 'genesis.cbor'))).toEqual(readFileSync(join(dir, 'rack', 'genesis.cbor')));
    // The ring grew 6 → 7 → 8 → 10 → 12, the running servers less one a quorum of each larger set.
    expect(record.join?.steps.map((s) => s.managers)).toEqual([7, 8, 10, 12]);
    expect(record.join?.steps.flatMap((s) => s.added)).toEqual(['b-0', 'b-1', 'b-2', 'b-3', 'b-4', 'b-5']);
    expect(record.join?.probeHeight).toBeGreaterThan(record.join!.steps.at(-1)!.height);
    // The joined rack's record holds no key of the chain's governance.
    expect(JSON.stringify(record)).not.toContain((existing.secrets as GenesisSecrets).wallets.governance[0]!);

    const old = rackLayout(join(dir, 'rack'), existing);
    const added = rackLayout(join(dir, 'joined'), record);
    const all: HostLayout[] = [...old, ...added];
    const client = (l: HostLayout) => new ExplorerClient(l.api, { timeoutMs: 5_000 });

    // Every reconfigure is final, as seen from an old and a new server.
    for (const step of record.join!.steps) {
      for (const l of [old[0]!, added[5]!]) expect(await client(l).tx(step.hash)).toMatchObject({ status: 'final', height: String(step.height), kind: 'reconfigure', signer: expect.stringMatching(/^managers:/) });
    }
    // The manager set is the existing six then the joined six, in that order, at old and new servers alike.
    const keys = [...(existing.secrets as GenesisSecrets).managers, ...secrets.managers].map((seed) => Buffer.from(seedKey(seed).publicKey.bytes).toString('hex'));
    for (const l of [old[2]!, added[0]!]) {
      const ring = (await (await fetch(`${l.api}/api/ring`)).json()) as { managers: string[] };
      expect(ring.managers).toEqual(keys);
    }
    // The new servers hold the existing ones' state: the same block and state root at the probe's height.
    const probe = BigInt(record.join!.probeHeight!);
    const blocks = await Promise.all(all.map(async (l) => (await client(l).block(probe.toString())).header));
    for (const b of blocks) expect({ hash: b['stateRoot'] }).toEqual({ hash: blocks[0]!['stateRoot'] });
    const heads = await Promise.all(all.map(async (l) => client(l).head()));
    expect(new Set(heads.map((h) => h.chainId))).toEqual(new Set([existing.chainId]));

    // Blocks keep finalising: transfers a client submits to the new servers are final, and every server has them.
    const genesis = decodeGenesis(new Uint8Array(readFileSync(join(dir, 'rack', 'genesis.cbor'))));
    const deps = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((done) => setTimeout(done, ms)) };
    const wallet = seedWallet((existing.secrets as GenesisSecrets).wallets.reserve);
    // A fresh account (a manager's payout account also earns rewards: its balance would not be the transfers').
    const receiver = seedWallet('5a'.repeat(32)).account.address;
    let last = 0;
    for (let i = 0; i < 3; i += 1) {
      const height = await transferFinal([added[i * 2]!], record.chainId, genesis.params, wallet, { to: receiver, amount: 1_000n }, deps, 60_000);
      expect(height).toBeGreaterThan(last);
      last = height;
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const hs = await Promise.all(all.map(async (l) => BigInt((await client(l).head()).height)));
      if (hs.every((h) => h >= BigInt(last))) break;
      if (Date.now() > deadline) throw new Error(`not every server reached ${last}: ${hs.join(', ')}\n${logs()}`);
      await deps.sleep(500);
    }
    for (const l of [old[4]!, added[1]!]) expect((await client(l).account(receiver)).balance).toBe('3000');
    // The joined servers are who rack.json says: their libp2p identities are the new node keys.
    for (const [i, l] of added.entries()) {
      const config = JSON.parse(readFileSync(join(dir, 'hosts', l.host.name, 'manager.json'), 'utf8')) as { sync: boolean; index?: number; peers: { id: string }[] };
      expect(config).toMatchObject({ sync: true });
      expect(config.index).toBeUndefined();
      expect(config.peers.map((p) => p.id)).toContain(peerIdOf(seedKey(secrets.managers[i]!)));
    }
    console.log(`rack join: provision ${(t1 - t0) / 1000} s, join of six (4 reconfigures) ${(t2 - t1) / 1000} s, final height ${last}`);
  });
});
