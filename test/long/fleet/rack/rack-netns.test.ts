/**
 * Issue 10, Done-when 5: a Unity of six manager servers in six network namespaces this test makes is provisioned by
 * one command (`ame fleet rack provision`, the local executor running each server inside its namespace) and
 * finalises blocks; when one server's process is killed the standby takes its role within 5 s and the Unity keeps
 * finalising; a rolling upgrade of all six (to a second release folder) keeps it finalising throughout.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderOf, rackLayout, rackStatus, readRecord, type RackStatus } from '../../../../fleet/rack/index.ts';
import { probeFinality } from '../../../../fleet/rack/probe.ts';
import { decodeGenesis, seedWallet, type GenesisSecrets } from '../../../../node/ledger/index.ts';
import { ameIn, repoRoot } from '../../../support/cli.ts';
import { createNetnsLan, type NetnsLan } from '../../../support/netns-lan.ts';

const fetcher = (url: string, init?: { signal?: AbortSignal }) => fetch(url, init);

describe('a rack Unity of six manager servers in six network namespaces', () => {
  let lan: NetnsLan;
  let dir: string;
  let ame: ReturnType<typeof ameIn>;

  const status = async (): Promise<RackStatus> => rackStatus(rackLayout(join(dir, 'rack'), readRecord(join(dir, 'rack'))), fetcher);
  const until = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, 200));
    }
  };
  /** A transfer of the reserve account's (not the tools' investors account: nonces stay apart) in a final block. */
  const transferFinal = async (timeoutMs: number): Promise<number> => {
    const record = readRecord(join(dir, 'rack'));
    const genesis = decodeGenesis(new Uint8Array(readFileSync(join(dir, 'rack', 'genesis.cbor'))));
    const deps = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((done) => setTimeout(done, ms)) };
    return probeFinality(rackLayout(join(dir, 'rack'), record), record.chainId, genesis.params, seedWallet((record.secrets as GenesisSecrets).wallets.reserve), deps, timeoutMs);
  };
  const serverLogs = () =>
    readRecord(join(dir, 'rack'))
      .plan.hosts.map((h) => `--- ${h.name}\n${readFileSync(join(dir, 'hosts', h.name, 'manager.log'), 'utf8').slice(-1500)}`)
      .join('\n');

  beforeAll(() => {
    lan = createNetnsLan(6);
    dir = mkdtempSync(join(tmpdir(), 'ame-rack-'));
    ame = ameIn(dir);
    writeFileSync(join(dir, 'hosts.json'), JSON.stringify(lan.hosts.map((h, i) => ({ name: `rack-${i}`, address: h.address, target: h.namespace }))));
    // The second release: another folder holding the same application, as an installed bundle would be.
    symlinkSync(repoRoot, join(dir, 'release-2'));
  });

  afterAll(async () => {
    if (dir !== undefined) {
      await ame('fleet', 'rack', 'stop', '--dir', join(dir, 'rack')).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    lan?.remove();
  }, 60_000);

  it('is provisioned by one command, survives a killed server through the standby, and upgrades one server at a time', async () => {
    const command = `${process.execPath} ${join(repoRoot, 'cli', 'main.ts')}`;
    const provisioned = await ame(
      'fleet', 'rack', 'provision', '--hosts', 'hosts.json', '--dir', 'rack', '--executor', 'local',
      '--command', command, '--root', join(dir, 'hosts'), '--params', 'quick', '--timeout', '120',
    );
    if (provisioned.code !== 0) throw new Error(`provision failed: ${provisioned.stderr}\n${provisioned.stdout}\n${serverLogs()}`);
    expect(provisioned.stdout).toContain('6 of 6 servers answer');
    expect(provisioned.stdout).toMatch(/the Unity finalises: a probe transaction in final block \d+/);
    const record = readRecord(join(dir, 'rack'));
    // Every server runs in its own namespace, at its own address.
    for (const [i, server] of record.servers.entries()) {
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8')).toContain('manager');
      expect(readFileSync(`/proc/${server.pid}/net/fib_trie`, 'utf8')).toContain(lan.hosts[i]!.address);
    }
    const shown = await ame('fleet', 'rack', 'status', '--dir', 'rack', '--json');
    const json = JSON.parse(shown.stdout) as { reachable: number; quorum: boolean; chainId: string };
    expect(json).toMatchObject({ reachable: 6, quorum: true, chainId: record.chainId });

    // Kill member 2 (a leader's role: client requests): the standby (member 5) holds role 2 within 5 s.
    const victim = record.servers[2]!;
    process.kill(victim.pid!, 'SIGKILL');
    const killedAt = Date.now();
    const takeover = await until('the standby takes role 2', 10_000, async () => {
      const row = holderOf(await status(), 2);
      return row?.state === 'taken-over' && row.holder === 5 ? Date.now() - killedAt : undefined;
    });
    expect(takeover).toBeLessThan(5_000);
    const afterKill = (await status()).height;
    expect(await transferFinal(30_000)).toBeGreaterThan(afterKill);

    // Back: `start` relaunches what does not run; the member catches up and takes its role back.
    expect((await ame('fleet', 'rack', 'start', '--dir', 'rack')).code).toBe(0);
    await until('member 2 back and caught up', 60_000, async () => {
      const s = await status();
      const two = s.servers[2]!;
      return two.reachable && (two.height ?? 0) >= s.height - 1 && holderOf(s, 2)?.state === 'own' ? true : undefined;
    });

    // Rolling upgrade to release 2, with transfers submitted one after another all along: each must become final.
    const latencies: number[] = [];
    const failures: string[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const t = Date.now();
        await transferFinal(30_000).then(
          () => latencies.push(Date.now() - t),
          (error: unknown) => failures.push((error as Error).message),
        );
      }
    })();
    const release2 = `${process.execPath} ${join(dir, 'release-2', 'cli', 'main.ts')}`;
    const upgraded = await ame('fleet', 'rack', 'upgrade', '--dir', 'rack', '--command', release2, '--timeout', '120');
    loading = false;
    await load;
    if (upgraded.code !== 0) throw new Error(`upgrade failed: ${upgraded.stderr}\n${upgraded.stdout}\n${serverLogs()}`);
    expect(upgraded.stdout).toContain('upgraded rack-5, rack-4, rack-3, rack-2, rack-1, rack-0');
    const after = readRecord(join(dir, 'rack'));
    for (const server of after.servers) {
      expect(server.command.join(' ')).toBe(release2);
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0')).toContain(join(dir, 'release-2', 'cli', 'main.ts'));
    }
    // The Unity finalised throughout: every transfer of the load became final, none waited 20 s.
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThan(6);
    expect(Math.max(...latencies)).toBeLessThan(20_000);
    const final = await status();
    expect(final.reachable).toBe(6);
  });
});
