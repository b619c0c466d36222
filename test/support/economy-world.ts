/**
 * The network of the end-to-end economy test (test/long/node/worker/economy.test.ts), composed as `ame up` composes
 * it, on real libp2p over loopback: a Manager Ring Unity of six managers on a clock the test moves forward, doing
 * their duties and introducing; a Worker Ring of two Unities of six servers, registered as workers paid to one
 * payout account and serving blobs and messages for receipts; settlers for every payee; three temporary workers
 * and two clients, Alice and Bob, funded by the reserve; and the clients' channels as they open them. Everything
 * started is stopped by the functions pushed to `cleanup` (run them in reverse).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upDuties } from '../../cli/commands/up-duties.ts';
import { startClientFlow } from '../../cli/commands/up-client-flow.ts';
import { final, registerRingServers } from '../../cli/commands/up-register.ts';
import { startUpSettlers } from '../../cli/commands/up-settle.ts';
import { type AccountKey, authorizeSession, Ed25519KeyPair, sha256, utf8, Wallet } from '../../node/crypto/index.ts';
import { channelId, demoParams, encodeTx, type GenesisConfig, type LedgerParams, signAccountTx, type TxBody } from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import type { Clock, ClockTimer, PeerRef } from '../../node/net/index.ts';
import { ChannelSpender, MemorySpenderStore } from '../../node/worker/payments/index.ts';
import { BLOB_SCHEMES, ringPartStore } from '../../node/worker/replication/part-store.ts';
import type { TemporaryWorker } from '../../node/worker/temporary-worker.ts';
import { startWorkerNode, type WorkerNode } from '../../node/worker/worker-node.ts';
import { ABC, ABIT, accountKey, managerAccount, managerNode, RESERVE, testGenesis } from './ledger-chain.ts';
import { TestUnity } from './manager-unity.ts';
import { netRing } from './ring-net.ts';
import { type Cleanup, startTestWorker, testHost } from './temporary-world.ts';

export const DAY = 86_400_000n;

/** The demo parameters with real fees and prices, a 40-day period and 1-day vesting days (of virtual time). */
export const ECONOMY_PARAMS: LedgerParams = {
  ...demoParams,
  periodMs: 40n * DAY,
  dayMs: DAY,
  blocksPerPeriod: 100_000n,
  fundReleaseFirst: 1_000n * ABC,
  blockLimitBytes: 16_384n,
  minFee: 1_000n,
  priceStorageKibDay: 10_000n,
  priceServedKib: 5_000n,
  priceMessage: ABIT,
};

/** Real time plus an offset the test moves forward: the managers' clock, hence block time. */
export class ShiftedClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  setTimeout(fn: () => void, ms: number): ClockTimer {
    return setTimeout(fn, ms);
  }
  clearTimeout(timer: ClockTimer): void {
    clearTimeout(timer as ReturnType<typeof setTimeout>);
  }
  /** Moves the clock so that it reads at least `at` now. */
  reach(at: bigint): void {
    const offset = Number(at) - Date.now() + 200;
    if (offset > this.offset) this.offset = offset;
  }
}

const wallet = (label: string) => Wallet.fromEntropy(sha256(utf8(`economy test ${label}`)), 'ecdsa');

/** The whole network started, the accounts funded, the temporary workers started (not yet attached). */
export async function startEconomyWorld(cleanup: Cleanup) {
  const investors = wallet('investors');
  const base = testGenesis(ECONOMY_PARAMS);
  const genesis: GenesisConfig = { ...base, time: BigInt(Date.now()), accounts: { ...base.accounts, investors: investors.account.address } };
  const clock = new ShiftedClock();
  const [unity, ring] = await Promise.all([
    TestUnity.start({ clock }, genesis),
    netRing({ unities: 2, serversPerUnity: 6, schemes: BLOB_SCHEMES }),
  ]);
  cleanup.push(() => unity.stop(), () => ring.stop());
  const lead = unity.server(0);
  const view = () => lead.ledger.finalView();
  const chain = view().chain().chainId;
  const params = view().params();
  const map = ring.authority.authority.map();
  const nodes = ring.live();

  // The ring servers serve blobs and messages for receipts (as `ame up` composes them) and are registered as
  // workers paid to one payout account; the managers do their duties and introduce; every payee settles.
  const dutyManagers = unity.live.map((k) => ({ server: unity.server(k), host: unity.host(k), key: managerNode(k) }));
  const duties = upDuties(dutyManagers);
  const servers: WorkerNode[] = nodes.map((n, i) =>
    startWorkerNode({
      rpc: n.host.rpc,
      nodeKey: ring.keys[i]!,
      dataDir: join(ring.dir, `w${i}`),
      channels: (id) => view().channel(id),
      prices: () => view().params(),
      auditor: duties.isAuditor,
      ring: ringPartStore(n.server.client),
    }),
  );
  cleanup.push(() => servers.forEach((w) => w.stop()));
  const ringPayout = wallet('ring payout');
  await registerRingServers({ server: lead, servers: ring.keys, payout: ringPayout, funder: investors });
  // Equal loads: the attacher spreads the temporary workers over both Unities.
  duties.start(nodes.map((n) => n.host), ring.keys, () => map.unities.map((u) => ({ unity: u.id, servers: u.servers.length, load: 10 })), 2_000);
  cleanup.push(() => duties.stop());
  const flowDir = mkdtempSync(join(tmpdir(), 'ame-economy-'));
  cleanup.push(() => rmSync(flowDir, { recursive: true, force: true }));
  const flow = startClientFlow({
    lead,
    managers: dutyManagers.map((m, k) => ({ ...m, payout: managerAccount(k), dataDir: join(flowDir, `m${k}`) })),
    ring: nodes,
    certifiers: { authority: ring.authorityKey.publicKey.bytes },
    share: 1,
  });
  cleanup.push(() => flow.stop());
  const settlers = startUpSettlers(
    lead,
    [...servers.map((w, i) => ({ book: w.book, self: ring.keys[i]!.publicKey.bytes, payout: ringPayout.account })), ...flow.payees],
    500,
    { threshold: 1n, maxAgeMs: 0, deadlineMarginMs: 0 },
  );
  cleanup.push(() => settlers.stop());

  // Accounts: the temporary workers' payouts and the clients, funded by the reserve.
  const reserve = accountKey(RESERVE);
  const payouts = [0, 1, 2].map((i) => accountKey(70 + i));
  const alice = wallet('alice').account;
  const bob = wallet('bob').account;
  const funding: [AccountKey, bigint][] = [...payouts.map((p): [AccountKey, bigint] => [p, 2n * ABC]), [alice, 40n * ABC], [bob, 10n * ABC]];
  const funded = funding.map(([to, amount], nonce) =>
    lead.submit(encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: BigInt(nonce), fee: params.minFee, body: { to: to.address, amount } }, reserve))),
  );
  await final(lead, funded, 'funding', Date.now() + 60_000);

  // Three temporary workers, each its own host and light client, to be attached by the managers and to beat to
  // their Unity's index servers.
  const temps: TemporaryWorker[] = [];
  const tempPeers: PeerRef[] = [];
  for (const i of [0, 1, 2]) {
    const { worker, host } = await startTestWorker(cleanup, { label: `economy ${i}`, genesis, manager: unity.host(i).peer, payout: payouts[i]!, ring, heartbeatMs: 500 });
    temps.push(worker);
    tempPeers.push(host.peer);
  }
  const aliceHost = await testHost(cleanup, 'economy alice');
  const bobHost = await testHost(cleanup, 'economy bob');
  return { genesis, clock, unity, ring, lead, view, chain, params, map, nodes, servers, ringPayout, flow, flowDir, payouts, alice, bob, aliceHost, bobHost, temps, tempPeers };
}

/**
 * The clients' account transactions, each awaited final, from one nonce counter per account; `open` opens a
 * channel and returns its spender (session-authorised for an hour), kept in `spenders`.
 */
export function clientChannels(lead: ManagerServer, chain: Uint8Array, fee: bigint) {
  const spenders: ChannelSpender[] = [];
  const nonces = new Map<string, bigint>();
  const submitAs = async <K extends 'convert' | 'channel-open'>(who: AccountKey, kind: K, body: TxBody<K>): Promise<bigint> => {
    const nonce = nonces.get(who.address) ?? 0n;
    nonces.set(who.address, nonce + 1n);
    await final(lead, [lead.submit(encodeTx(signAccountTx({ chain, kind, nonce, fee, body }, who)))], kind, Date.now() + 60_000);
    return nonce;
  };
  const session = (who: AccountKey) => {
    const key = Ed25519KeyPair.fromSeed(sha256(utf8(`economy session ${who.address}`)));
    return { key, authorization: authorizeSession(who, key.publicKey, Date.now() + 3_600_000) };
  };
  const open = async (who: AccountKey, currency: 'ABC' | 'ABIT', amount: bigint, payees: Uint8Array[]) => {
    const nonce = await submitAs(who, 'channel-open', { currency, amount, payees });
    const s = session(who);
    const spender = new ChannelSpender({
      channel: { id: channelId(chain, who.address, nonce), escrow: amount, payees, currency },
      session: s.key,
      authorization: s.authorization,
      store: new MemorySpenderStore(),
      now: Date.now,
    });
    spenders.push(spender);
    return spender;
  };
  return { spenders, submitAs, open };
}
