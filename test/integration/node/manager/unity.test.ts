import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AccountKey, Ed25519KeyPair, sha256, toHex, utf8, vrfProve, vrfVerify } from '../../../../node/crypto/index.ts';
import { checkInvariants, ed25519Verify, encodeTx, genesisId, headerHash, signAccountTx, verifyCertificate } from '../../../../node/ledger/index.ts';
import { BLOCK_METHOD, getHead, ManagerError, ManagerServer, submitTx, type Head } from '../../../../node/manager/index.ts';
import { createHost, type Host } from '../../../../node/net/index.ts';
import { ABC, accountKey, EARLY, INVESTORS, MANAGER_COUNT, RESEARCH, RESERVE, testGenesis } from '../../../support/ledger-chain.ts';
import { until } from '../../../support/ring-net.ts';

// One Unity: six manager servers, each a libp2p host on 127.0.0.1 with a store file, a ledger, ACP and its reactor.
const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256 };

interface Unity {
  readonly hosts: Host[];
  readonly servers: ManagerServer[];
  readonly client: Host;
  readonly live: Set<number>;
  stopMember(i: number): Promise<void>;
  stop(): Promise<void>;
}

const running: Unity[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
});

async function startUnity(): Promise<Unity> {
  const dir = mkdtempSync(join(tmpdir(), 'ame-manager-'));
  // The seeds of ledger-chain's manager keys, so testGenesis() names these six servers as its managers.
  const seeds = Array.from({ length: MANAGER_COUNT }, (_, i) => sha256(utf8(`ledger test node ${100 + i}`)));
  const keys = seeds.map((seed) => Ed25519KeyPair.fromSeed(seed));
  const hosts = keys.map((nodeKey) => createHost({ nodeKey, connections }));
  const client = createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8('manager test client'))), connections });
  const live = new Set<number>();
  const stopped = new Set<number>();
  const unity: Unity = {
    hosts,
    servers: [],
    client,
    live,
    stopMember: async (i) => {
      live.delete(i);
      stopped.add(i);
      unity.servers[i]?.stop();
      await hosts[i]!.stop();
    },
    stop: async () => {
      for (const [i, s] of unity.servers.entries()) if (!stopped.has(i)) s.stop();
      await Promise.all([...hosts, client].map((h) => h.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.push(unity);
  await Promise.all([...hosts, client].map((h) => h.start()));
  for (const h of hosts) h.rpc.handle('test/ping', async () => new Uint8Array(0));
  const ping = (a: Host, b: Host) => (a === b ? undefined : a.rpc.request(b.peer, 'test/ping', new Uint8Array(0)));
  await Promise.all(hosts.flatMap((a) => hosts.map((b) => ping(a, b))));

  const genesis = testGenesis();
  const peers = hosts.map((h) => h.peer);
  for (let i = 0; i < MANAGER_COUNT; i++) {
    const server = new ManagerServer({
      roles: { heartbeatMs: 250, downAfterMs: 2_500 },
      checkInvariants: true,
      logger: logger(i),
      host: hosts[i]!,
      nodeKey: keys[i]!,
      seed: seeds[i]!,
      index: i,
      peers,
      genesis,
      storePath: join(dir, `manager-${i}.sqlite`),
      vrf: { prove: vrfProve, verify: vrfVerify },
    });
    unity.servers.push(server);
  }
  for (let i = 0; i < MANAGER_COUNT; i++) {
    live.add(i);
    await unity.servers[i]!.start();
  }
  // Manager 5 never receives pushed bodies: it has to fetch every decided block from the others.
  hosts[5]!.rpc.unhandle(BLOCK_METHOD);
  return unity;
}

interface LogLine {
  readonly member: number;
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
  readonly at: number;
}
const logs: LogLine[] = [];
afterEach(() => {
  logs.length = 0;
});
function logger(member: number) {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    if (level !== 'debug') logs.push({ member, level, fields, msg, at: Date.now() });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never;
}

interface Transfer {
  readonly from: AccountKey;
  readonly to: string;
  readonly amount: bigint;
  readonly bytes: Uint8Array;
}

function transfers(count: number, first: number, nonces: Map<string, bigint>): Transfer[] {
  const chain = genesisId(testGenesis());
  const senders = [RESERVE, RESEARCH, EARLY, INVESTORS].map(accountKey);
  return Array.from({ length: count }, (_, k) => {
    const j = first + k;
    const from = senders[j % senders.length]!;
    const nonce = nonces.get(from.address) ?? 0n;
    nonces.set(from.address, nonce + 1n);
    const to = accountKey(500 + j).address;
    const amount = BigInt(j + 1) * ABC + BigInt(j);
    const tx = signAccountTx({ chain, kind: 'transfer', nonce, fee: 0n, body: { to, amount } }, from);
    return { from, to, amount, bytes: encodeTx(tx) };
  });
}

function applied(server: ManagerServer, sent: readonly Transfer[]): boolean {
  const view = server.ledger.finalView();
  return sent.every((t) => view.account(t.to).abc === t.amount);
}

async function heads(unity: Unity): Promise<Head[]> {
  return Promise.all([...unity.live].map((i) => getHead(unity.client.rpc, unity.hosts[i]!.peer)));
}

const key = (h: Head) => `${h.height}/${toHex(h.hash)}/${toHex(h.stateRoot)}`;

/** Waits until every live manager has applied `sent` and their heads agree; returns the common head. */
async function settle(unity: Unity, sent: readonly Transfer[], what: string): Promise<Head> {
  await until(
    () => [...unity.live].every((i) => applied(unity.servers[i]!, sent)) && sameHeads(unity),
    20_000,
    what,
  ).catch((error: unknown) => {
    const state = [...unity.live].map((i) => {
      const s = unity.servers[i]!;
      const view = s.ledger.finalView();
      const missing = sent.filter((t) => view.account(t.to).abc !== t.amount).length;
      return `manager ${i}: height ${s.head().height}, missing ${missing}, mempool ${s.mempool.size}, ${JSON.stringify(s.stats())}`;
    });
    throw new Error(`${(error as Error).message}\n${state.join('\n')}`);
  });
  const agreed = await heads(unity);
  expect(new Set(agreed.map(key)).size, 'heads of the live managers').toBe(1);
  return agreed[0]!;
}

function sameHeads(unity: Unity): boolean {
  const hs = [...unity.live].map((i) => unity.servers[i]!.head());
  return new Set(hs.map(key)).size === 1;
}

function expectBalances(unity: Unity, sent: readonly Transfer[]): void {
  for (const i of unity.live) {
    const view = unity.servers[i]!.ledger.finalView();
    for (const t of sent) expect(view.account(t.to).abc, `manager ${i}, recipient of ${t.amount}`).toBe(t.amount);
    checkInvariants(view);
    const stats = unity.servers[i]!.stats();
    expect(stats.invariantViolations, `manager ${i}: blocks after which the invariants failed`).toBe(0);
    expect(stats.invariantChecks, `manager ${i}: every applied block checked`).toBe(stats.applied);
    expect(unity.servers[i]!.mempool.size, `manager ${i} mempool`).toBe(0);
  }
}

describe('Manager Ring: one Unity of six managers over libp2p', () => {
  it('finalises blocks with transactions submitted by clients, and goes on without one manager', async () => {
    const unity = await startUnity();
    const nonces = new Map<string, bigint>();
    const firstBatch = transfers(10, 0, nonces);
    const senders = [...new Set(firstBatch.map((t) => t.from))];
    const before = new Map(senders.map((s) => [s.address, unity.servers[0]!.ledger.finalView().account(s.address).abc]));

    const t0 = Date.now();
    // Transfer 4 is its sender's nonce 1: submitted before nonce 0 it is pooled (ahead) but cannot be applied yet,
    // so submitting it again is a DUPLICATE for sure.
    const ahead = firstBatch[4]!;
    expect(await submitTx(unity.client.rpc, unity.hosts[4]!.peer, ahead.bytes)).toHaveLength(32);
    const dup = await submitTx(unity.client.rpc, unity.hosts[4]!.peer, ahead.bytes).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ManagerError);
    expect((dup as ManagerError).code).toBe('DUPLICATE');
    for (const [j, t] of firstBatch.entries()) {
      if (j !== 4) expect(await submitTx(unity.client.rpc, unity.hosts[j % MANAGER_COUNT]!.peer, t.bytes)).toHaveLength(32);
    }
    // Typed refusals: bytes that are no transaction, a nonce already spent.
    const junk = await submitTx(unity.client.rpc, unity.hosts[1]!.peer, Uint8Array.of(1, 2, 3)).catch((e: unknown) => e);
    expect((junk as ManagerError).code).toBe('REJECTED');
    expect((junk as ManagerError).reason).toBe('MALFORMED');

    const submitMs = Date.now() - t0;
    const head = await settle(unity, firstBatch, 'six managers to apply the ten transfers');
    const spent = await submitTx(unity.client.rpc, unity.hosts[2]!.peer, firstBatch[0]!.bytes).catch((e: unknown) => e);
    expect([(spent as ManagerError).code, (spent as ManagerError).reason]).toEqual(['REJECTED', 'BAD_NONCE']);
    const firstMs = Date.now() - t0;
    expect(head.height).toBeGreaterThanOrEqual(1n);
    expect(unity.servers[5]!.stats().fetched, 'bodies manager 5 fetched').toBeGreaterThan(0);
    expectBalances(unity, firstBatch);
    for (const s of senders) {
      const sent = firstBatch.filter((t) => t.from === s).reduce((n, t) => n + t.amount, 0n);
      for (const i of unity.live) {
        const account = unity.servers[i]!.ledger.finalView().account(s.address);
        expect(account.abc, `manager ${i} sender`).toBe(before.get(s.address)! - sent);
        expect(account.nonce).toBe(nonces.get(s.address));
      }
    }

    // Every manager gathered the head's ledger certificate: a quorum of the managers' signatures on its header.
    const managerKeys = testGenesis().managers.map((m) => m.key);
    await until(() => unity.servers.every((s) => s.certificate(head.hash) !== undefined), 5_000, 'head certificates');
    for (const s of unity.servers) {
      const signers = verifyCertificate(head.hash, s.certificate(head.hash)!, managerKeys, ed25519Verify);
      expect(signers.length).toBeGreaterThanOrEqual(5);
    }
    const headBlock = unity.servers[0]!.headBlock()!;
    expect(headerHash(headBlock.header)).toEqual(head.hash);

    // The leader of the head block goes away (manager 0 if the standby led it); three more transfers go to the
    // others, the five remaining apply them, and the standby takes over the stopped member's role within 5 s.
    const leader = managerKeys.findIndex((k) => toHex(k) === toHex(headBlock.header.proposer));
    const victim = leader === 5 ? 0 : leader;
    const stoppedAt = Date.now();
    await unity.stopMember(victim);
    const secondBatch = transfers(3, 10, nonces);
    const t1 = Date.now();
    const targets = [...unity.live];
    for (const [k, t] of secondBatch.entries()) await submitTx(unity.client.rpc, unity.hosts[targets[k]!]!.peer, t.bytes);
    const after = await settle(unity, secondBatch, 'five managers to apply three more transfers');
    const secondMs = Date.now() - t1;
    expect(after.height).toBeGreaterThan(head.height);
    expectBalances(unity, [...firstBatch, ...secondBatch]);
    await until(() => unity.servers[5]!.roles()[victim]!.holder === 5, 5_000 - (Date.now() - stoppedAt), 'the standby to take over');
    const tookOver = logs.find((l) => l.member === 5 && l.msg === 'took over a failed role' && l.fields['role'] === victim);
    expect(tookOver, 'the takeover is logged by the standby').toBeDefined();
    expect(tookOver!.at - stoppedAt).toBeLessThan(5_000);
    // The others see it too, each once its own heartbeats have missed the stopped member for downAfterMs.
    await until(() => [...unity.live].every((i) => unity.servers[i]!.roles()[victim]?.holder === 5), 5_000, 'every member to see the takeover');
    for (const i of unity.live) expect(unity.servers[i]!.roles()[victim]).toMatchObject({ holder: 5, state: 'taken-over' });
    const stats = unity.servers.map((s) => s.stats());
    console.log(
      `manager unity: 10 transfers (submitted in ${submitMs} ms) final at height ${head.height} in ${firstMs} ms; 3 more without one manager at ` +
        `height ${after.height} in ${secondMs} ms (leader ${victim} stopped; standby took over in ${tookOver!.at - stoppedAt} ms); skipped ${stats.map((s) => s.skipped).join(',')}, fetched ${stats.map((s) => s.fetched).join(',')}`,
    );
  }, 60_000);
});
