/**
 * `ame up` (npm start) as a real process: the Manager Ring (six managers, the explorer on a free port) and a Worker
 * Ring whose views the managers certify; `ame chain`, `ame wallet transfer` and `ame ring` against it; a clean stop
 * on SIGTERM; and a second start on the same folder that resumes the chain, the PeerIds and the stored values. The ring
 * servers are registered as workers on the first start and not again on the second.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, peerIdOf, toHex } from '../../../node/crypto/index.ts';
import { decodeGenesis, genesisId } from '../../../node/ledger/index.ts';
import { runAme, startUp, type Up } from '../../support/cli.ts';
import { accountKey } from '../../support/ledger-chain.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-up-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** `ame up` with two Unities, on the test's folder. */
const startTwoUnities = () => startUp(['--data', dir, '--unities', '2', '--http-port', '0'], children);

async function stop(up: Up): Promise<void> {
  up.child.kill('SIGTERM');
  expect(await up.exit).toBe(0);
  expect(up.output()).toMatch(/stopping\nstopped\n$/);
}

interface HeadJson {
  chainId: string;
  height: string;
  kind: string;
}

const headOf = async (url: string) => (await (await fetch(`${url}/api/head`)).json()) as HeadJson;

interface Contact {
  peer: { id: string; addrs: string[] };
  managers?: string[];
  authority?: string;
}

const contactOf = (server: string) => JSON.parse(readFileSync(join(dir, server, 'ring-contact.json'), 'utf8')) as Contact;
const authorityLine = (out: string) => /^ring authority (\S+)$/m.exec(out)?.[1];

describe('ame up (npm start)', () => {
  it('runs the Manager Ring and a Worker Ring certified by it, stops on SIGTERM, and resumes on the same folder', async () => {
    const first = await startTwoUnities();
    expect(first.output()).toContain('Manager Ring up: 6 managers');
    expect(first.output()).toContain('Worker Ring up: 2 Unities, 12 servers serving blobs and messages, epoch 1, certified by the managers');
    const genesis = decodeGenesis(readFileSync(join(dir, 'genesis.cbor')));
    const chainId = toHex(genesisId(genesis));
    expect(first.output()).toContain(`chain ${chainId} (ame-local)`);
    // Every ring server is a registered worker (so channels can name it and settlements pay it), paid out to one
    // account that the investors' genesis account funded.
    const payout = /^ring servers registered as workers: 12 now, 0 before \(payout account (A\w+) in /m.exec(first.output())?.[1];
    expect(payout, first.output()).toBeDefined();
    const { nodes } = (await (await fetch(`${first.url}/api/nodes`)).json()) as { nodes: { key: string; role: string; status: string; account: string }[] };
    const servers = Array.from({ length: 12 }, (_, i) => contactOf(`s${i}`).peer.id);
    const workers = nodes.filter((n) => n.role === 'worker');
    expect(workers.map((n) => peerIdOf(fromHex(n.key))).sort()).toEqual([...servers].sort());
    expect(workers.every((n) => n.status === 'active' && n.account === payout)).toBe(true);

    // The explorer serves the chain of the genesis in DIR, from its genesis on.
    const genesisHead = await headOf(first.url);
    expect(genesisHead).toMatchObject({ chainId });
    expect(genesisHead.kind === 'genesis' || BigInt(genesisHead.height) > 0n).toBe(true);

    // Ring servers trust the manager set: their contact files name it, and the ring-authority key is refused. The
    // CLI commands run together (each is a process of its own): `ame chain` reads the explorer, `ame ring` stores a
    // value through the managers' views, a transfer from the investors' wallet becomes final.
    const contact = contactOf('s0');
    expect(contact.managers).toEqual(genesis.managers.map((m) => toHex(m.key)));
    expect(contact.authority).toBeUndefined();
    const [head, put, sent, refused, twice] = await Promise.all([
      runAme(['chain', 'head', '--json', '--manager', first.url]),
      runAme(['ring', 'put', '-', 'kept across restarts', '--data', join(dir, 's0'), '--json']),
      runAme(['wallet', 'transfer', accountKey(840).address, '2.5', '--wallet', join(dir, 'investors-wallet.json'), '--manager', first.url, '--json', '--wait', '60']),
      runAme(['ring', 'slice', '--peer', contact.peer.addrs[0]!, '--authority', toHex(genesis.ringAuthority)]),
      // A second network on the same folder is refused before it opens anything.
      runAme(['up', '--data', dir]),
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`another ame up (pid ${first.child.pid}) runs on ${dir}`);
    expect(head.code, head.stderr).toBe(0);
    expect(JSON.parse(head.stdout)).toMatchObject({ chainId });
    expect(put.code, put.stderr).toBe(0);
    const key = (JSON.parse(put.stdout) as { key: string }).key;
    expect(sent.code, sent.stderr).toBe(0);
    const transfer = JSON.parse(sent.stdout) as { hash: string; height: string; ok: boolean };
    expect(transfer.ok).toBe(true);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('managers certificates are not accepted');
    expect(BigInt((await headOf(first.url)).height)).toBeGreaterThanOrEqual(BigInt(transfer.height));
    await stop(first);

    // Same folder: same chain (the transfer is still final), same PeerIds, the value still stored.
    const second = await startTwoUnities();
    expect(second.output()).toContain('Worker Ring up: 2 Unities, 12 servers serving blobs and messages, epoch 2, certified by the managers');
    expect(second.output()).toContain(`ring servers registered as workers: 0 now, 12 before (payout account ${payout} in `);
    expect(authorityLine(second.output())).toBe(authorityLine(first.output()));
    expect(contactOf('s0').peer.id).toBe(contact.peer.id);
    const resumed = await headOf(second.url);
    expect(resumed.chainId).toBe(chainId);
    expect(BigInt(resumed.height)).toBeGreaterThanOrEqual(BigInt(transfer.height));
    const [tx, get, lookup, again] = await Promise.all([
      runAme(['chain', 'tx', transfer.hash, '--json', '--manager', second.url]),
      runAme(['ring', 'get', key, '--data', join(dir, 's7')]),
      runAme(['ring', 'lookup', key, '--data', join(dir, 's1'), '--json']),
      // The restarted managers resume consensus from their anchors: a new transfer is final within the wait.
      runAme(['wallet', 'transfer', accountKey(841).address, '1', '--wallet', join(dir, 'investors-wallet.json'), '--manager', second.url, '--json', '--wait', '120']),
    ]);
    expect(JSON.parse(tx.stdout)).toMatchObject({ status: 'final', height: transfer.height, ok: true });
    // On a stall, the restarted network's own log says why (consensus rounds, unreachable members).
    expect(again.code, `${again.stderr}\n--- ame up:\n${second.output().slice(-6000)}`).toBe(0);
    expect((JSON.parse(again.stdout) as { ok: boolean; height: string })).toMatchObject({ ok: true });
    expect(BigInt((JSON.parse(again.stdout) as { height: string }).height)).toBeGreaterThan(BigInt(transfer.height));
    expect(lookup.code, lookup.stderr).toBe(0);
    expect((JSON.parse(lookup.stdout) as { hops: number }).hops).toBeLessThanOrEqual(3);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('kept across restarts\n');
    await stop(second);
  });
});

