/**
 * One worker serving one client over real libp2p on loopback: the worker's blob store, mailbox, receipt book and
 * service log are SQLite files in a temporary folder (synchronous FULL); the client pays from an ABC and an ABIT
 * channel whose records the test holds (the ledger's view of them). Used by the serving integration test and by
 * `npm run bench -- worker`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerClient } from '../../node/client/worker-client.ts';
import { authorizeSession, ecdsaAccountKey, Ed25519KeyPair, sha256, toHex, utf8 } from '../../node/crypto/index.ts';
import { defaultParams } from '../../node/ledger/params.ts';
import { createHost, type Host, type Rpc } from '../../node/net/index.ts';
import type { ServiceLog } from '../../node/store/index.ts';
import { type ChannelInfo, ChannelSpender, MemorySpenderStore, type ReceiptBook, type SpenderChannel } from '../../node/worker/payments/index.ts';
import type { PartStore } from '../../node/worker/replication/part-store.ts';
import type { WorkerService } from '../../node/worker/serve/service.ts';
import { startWorkerNode, type WorkerNode } from '../../node/worker/worker-node.ts';

export interface WorkerRig {
  readonly dir: string;
  readonly worker: Host;
  readonly clientHost: Host;
  readonly service: WorkerService;
  readonly node: WorkerNode;
  readonly book: ReceiptBook;
  readonly log: ServiceLog;
  readonly client: WorkerClient;
  readonly workerKey: Ed25519KeyPair;
  readonly channels: Map<string, ChannelInfo>;
  readonly abc: SpenderChannel;
  readonly abit: SpenderChannel;
  /** A second client of the same channels (its own spender state), to replay or underpay with. */
  readonly spender: (which: 'abc' | 'abit') => ChannelSpender;
  stop(): Promise<void>;
}

const seedOf = (label: string) => sha256(utf8(`worker rig ${label}`));

export interface WorkerRigOptions {
  readonly escrow?: bigint;
  readonly logBatchSize?: number;
  /** The Worker Ring the worker replicates its blobs to, reached over the worker's own host. */
  readonly ring?: (rpc: Rpc) => PartStore;
  /** Distinguishes the keys of several rigs in one test (default ''). */
  readonly label?: string;
}

export async function startWorkerRig(options: WorkerRigOptions = {}): Promise<WorkerRig> {
  const dir = mkdtempSync(join(tmpdir(), 'ame-worker-rig-'));
  const seed = (label: string) => seedOf(`${options.label ?? ''}${label}`);
  const workerKey = Ed25519KeyPair.fromSeed(seed('worker'));
  const worker = createHost({ nodeKey: workerKey });
  const clientHost = createHost({ nodeKey: Ed25519KeyPair.fromSeed(seed('client host')) });
  const account = ecdsaAccountKey(seed('client account'));
  const session = Ed25519KeyPair.fromSeed(seed('session'));
  const authorization = authorizeSession(account, session.publicKey, Date.now() + 24 * 3_600_000);
  const escrow = options.escrow ?? 1n << 60n;
  const payees = [workerKey.publicKey.bytes];
  const abc: SpenderChannel = { id: seed('abc channel'), escrow, payees, currency: 'ABC' };
  const abit: SpenderChannel = { id: seed('abit channel'), escrow, payees, currency: 'ABIT' };
  const channels = new Map<string, ChannelInfo>();
  for (const c of [abc, abit]) {
    channels.set(toHex(c.id), { client: account.address, status: 'open', escrow, payees, paid: [0n], closeAt: 0n });
  }
  const view = (id: Uint8Array) => channels.get(toHex(id));
  // The client's host doubles as the auditing manager in tests.
  const node = startWorkerNode({
    rpc: worker.rpc,
    nodeKey: workerKey,
    dataDir: dir,
    channels: view,
    prices: () => defaultParams,
    auditor: (peer) => peer === clientHost.id,
    ...(options.logBatchSize === undefined ? {} : { logBatchSize: options.logBatchSize }),
    ...(options.ring === undefined ? {} : { ring: options.ring(worker.rpc) }),
  });
  const spender = (which: 'abc' | 'abit') =>
    new ChannelSpender({ channel: which === 'abc' ? abc : abit, session, authorization, store: new MemorySpenderStore(), now: Date.now });
  await Promise.all([worker.start(), clientHost.start()]);
  const client = new WorkerClient({
    rpc: clientHost.rpc,
    worker: worker.peer,
    payee: workerKey.publicKey.bytes,
    abc: spender('abc'),
    abit: spender('abit'),
    prices: () => defaultParams,
  });
  return {
    dir,
    worker,
    clientHost,
    service: node.service,
    node,
    book: node.book,
    log: node.log,
    client,
    workerKey,
    channels,
    abc,
    abit,
    spender,
    async stop() {
      await Promise.all([clientHost.stop(), worker.stop()]);
      node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
