/**
 * A one-manager ledger on libp2p, the manager's duties (attachments, promotions, heartbeats, audits, signed from
 * one nonce counter) and a temporary worker in this process with a funded payout account — optionally on a Worker
 * Ring (its blobs replicated there, its Unity's index servers beaten to). Everything started is stopped by the
 * functions pushed to `cleanup` (run them in reverse).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccountKey, Ed25519KeyPair, sha256, utf8 } from '../../node/crypto/index.ts';
import { encodeTx, type GenesisConfig, genesisId, genesisStateRoot, type LedgerParams, LightClient, signAccountTx } from '../../node/ledger/index.ts';
import { Auditor } from '../../node/manager/auditor.ts';
import { DutyTxs } from '../../node/manager/duty-txs.ts';
import { serveHeartbeats } from '../../node/manager/heartbeat-desk.ts';
import { submitTx } from '../../node/manager/index.ts';
import { servePromotions } from '../../node/manager/promotion-desk.ts';
import { createHost, type Host, type PeerRef, systemClock } from '../../node/net/index.ts';
import { UptimeBook } from '../../node/ring/service/uptime-book.ts';
import { LedgerFollower } from '../../node/worker/ledger-view.ts';
import { ringEntry } from '../../node/worker/ring-entry.ts';
import { TemporaryWorker, type TemporaryWorkerOptions } from '../../node/worker/temporary-worker.ts';
import { ABC, accountKey, INVESTORS, managerNode, testGenesis } from './ledger-chain.ts';
import { TestUnity } from './manager-unity.ts';
import type { NetRing } from './ring-net.ts';
import { labelledBytes } from './seeded.ts';

export type Cleanup = (() => Promise<void> | void)[];

export const nodeKeyOf = (label: string) => Ed25519KeyPair.fromSeed(sha256(utf8(`temporary worker test ${label}`)));

export async function testHost(cleanup: Cleanup, label: string): Promise<Host> {
  const h = createHost({ nodeKey: nodeKeyOf(label) });
  await h.start();
  cleanup.push(() => h.stop());
  return h;
}

export interface WorldOptions {
  readonly heartbeatMs?: number;
  /** The Worker Ring the temporary worker uses (entry: its first servers; views certified by its authority). */
  readonly ring?: NetRing;
  /** How the worker joins the ring once promoted (TemporaryWorkerOptions.joinRing). */
  readonly joinRing?: TemporaryWorkerOptions['joinRing'];
  /** Service-log entries per sealed batch (default 2). */
  readonly logBatchSize?: number;
}

/**
 * One manager on libp2p with its ledger (the genesis of `params` with manager 0 alone), a client host, and the
 * manager's duty desks: promotions and heartbeats, its duty transactions signed from one nonce counter.
 */
export async function oneManagerLedger(cleanup: Cleanup, params: LedgerParams, options: { heartbeatMs?: number; clientLabel?: string } = {}) {
  const base = testGenesis(params);
  const genesis = { ...base, managers: [base.managers[0]!] };
  const chain = genesisId(genesis);
  const unity = new TestUnity(genesis);
  unity.client = await testHost(cleanup, options.clientLabel ?? 'client');
  cleanup.push(() => unity.stop());
  await unity.addMember(0);
  const server = await unity.startServer(0);
  const manager = unity.host(0).peer;
  const view = () => server.ledger.finalView();
  const duty = new DutyTxs({ nodeKey: managerNode(0), ledger: () => server.ledger, submit: (tx) => server.submit(tx), now: Date.now });
  const uptime = new UptimeBook({ clock: systemClock, intervalMs: options.heartbeatMs ?? 10_000 });
  cleanup.push(servePromotions(unity.host(0).rpc, { duty }), serveHeartbeats(unity.host(0).rpc, uptime));
  return { genesis, chain, unity, server, manager, view, duty, uptime };
}

export interface TestWorkerOptions extends WorldOptions {
  /** Names the host key, the node key and nothing else. */
  readonly label: string;
  readonly genesis: GenesisConfig;
  readonly manager: PeerRef;
  readonly payout: AccountKey;
}

/**
 * A started temporary worker in this process: its own host and data folder, a light client of `manager`, settling
 * every receipt at once, ticking every 100 ms, applying for promotion only by hand.
 */
export async function startTestWorker(cleanup: Cleanup, o: TestWorkerOptions) {
  const host = await testHost(cleanup, o.label);
  const dataDir = mkdtempSync(join(tmpdir(), 'ame-temporary-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const { genesis, manager } = o;
  const follower = new LedgerFollower({ rpc: host.rpc, managers: [manager], light: LightClient.fromGenesis(genesis, genesisStateRoot(genesis)), pollMs: 100, maxStaleMs: 5_000 });
  const ring = o.ring === undefined ? undefined : ringEntry({ rpc: host.rpc, entry: o.ring.live().slice(0, 2).map((n) => n.host.peer), authority: o.ring.authorityKey.publicKey.bytes });
  const worker = new TemporaryWorker({
    rpc: host.rpc,
    nodeKey: nodeKeyOf(o.label),
    payout: o.payout,
    chain: genesisId(genesis),
    dataDir,
    follower,
    managers: [manager],
    submit: (tx) => submitTx(host.rpc, manager, tx),
    hardware: 'raspberry pi 5 (test)',
    settle: { threshold: 1n, maxAgeMs: 0, deadlineMarginMs: 0 },
    tickMs: 100,
    logBatchSize: o.logBatchSize ?? 2,
    // The tests apply by hand, to see the refusal first.
    applyEveryMs: 0,
    ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
    ...(ring === undefined ? {} : { ring: ring.parts, unityServers: (u: string) => ring.unityServers(u) }),
    ...(o.joinRing === undefined ? {} : { joinRing: o.joinRing }),
  });
  cleanup.push(() => worker.stop());
  worker.start();
  return { host, dataDir, worker };
}

export async function temporaryWorld(cleanup: Cleanup, params: LedgerParams, options: WorldOptions = {}) {
  const { genesis, chain, unity, server, manager, view, duty, uptime } = await oneManagerLedger(cleanup, params, options);

  // The worker's payout account, funded by the investors: the worker deposit plus change.
  const investors = accountKey(INVESTORS);
  const payout = accountKey(40);
  await submitTx(unity.client.rpc, manager, encodeTx(signAccountTx({ chain, kind: 'transfer', nonce: 0n, fee: 0n, body: { to: payout.address, amount: 150n * ABC } }, investors)));

  const { host: workerHost, dataDir, worker } = await startTestWorker(cleanup, { label: 'worker', genesis, manager, payout, ...options });
  const auditor = new Auditor({
    rpc: unity.host(0).rpc,
    random: labelledBytes('temporary audit'),
    clock: systemClock,
    duty,
    uptime,
    peerOf: () => undefined,
    samples: 2,
  });
  return { chain, genesis, dataDir, unity, server, manager, view, duty, investors, payout, workerHost, worker, key: worker.key, auditor };
}
