/**
 * A temporary worker's life (SPEC §6), composed on a light client: it follows the final ledger (LedgerFollower),
 * registers its node key with its payout account (which pays the temporary deposit), waits for the managers to
 * attach it to a Unity, serves blobs and messages (startWorkerNode, paid by receipts checked against the
 * follower's channels), answers the managers' audits, settles its receipts (Settler), applies for promotion and
 * files its graceful exit. The phase it is in comes from its own node record on the ledger, so a restart picks
 * up where the ledger says it is: nothing here is remembered that the ledger does not prove.
 *
 * Phases: connecting (no verified head yet) → registering (no node record; the registration is submitted once
 * the payout account can pay the deposit, else `waiting` says what it lacks) → attaching (registered, no Unity
 * yet) → serving → promoted (the ledger made it a worker: it keeps serving, no restart), or exiting / exited /
 * removed.
 */
import { join } from 'node:path';
import { type AccountKey, type Ed25519KeyPair, peerIdOf, toHex } from '../crypto/index.ts';
import { type AccountRecord, encodeTx, type LedgerParams, type NodeRecord, promotionShortfall, signAccountTx, spendable } from '../ledger/index.ts';
import { type Clock, type ClockTimer, type NetLogger, type PeerRef, type Rpc, systemClock } from '../net/index.ts';
import { WorkerError } from './errors.ts';
import type { LedgerFollower } from './ledger-view.ts';
import { type SettlePolicy, Settler } from './payments/index.ts';
import { Heartbeats } from './heartbeats.ts';
import { applyForPromotion, type PromotionReply } from './promotion-protocol.ts';
import type { PartStore } from './replication/part-store.ts';
import type { ReplicationStatus } from './replication/replicator.ts';
import { startWorkerNode, WORKER_DIR, type WorkerNode } from './worker-node.ts';
import { WorkloadCounter } from './workload.ts';

export type TemporaryPhase = 'connecting' | 'registering' | 'attaching' | 'serving' | 'promoted' | 'exiting' | 'exited' | 'removed';

export interface TemporaryStatus {
  readonly phase: TemporaryPhase;
  /** Why the worker is stuck in its phase (an underfunded payout account, an unreachable manager); '' if not. */
  readonly waiting: string;
  readonly height: bigint;
  readonly node: NodeRecord | undefined;
  /** The payout account at the verified head (balance, option tranches, bad record). */
  readonly account: AccountRecord | undefined;
  /** The ledger parameters at the verified head (prices, promotion rules, vesting). */
  readonly params: LedgerParams | undefined;
  /** The payout account's spendable balance at the verified head (micro-units). */
  readonly balance: bigint;
  readonly served: number;
  readonly settlements: number;
  /** Heartbeats a manager took, and the intervals it counted them in (indices on its clock). */
  readonly heartbeats: number;
  readonly heartbeatIntervals: readonly number[];
  /** Copying its blobs to the Worker Ring; undefined without a ring or before it serves. */
  readonly replication: ReplicationStatus | undefined;
  /** Beats its Unity's index servers took. */
  readonly indexBeats: number;
  /** A promoted node's ring server: none yet, joining, or serving its Unity's replicas. */
  readonly ringServer: 'none' | 'joining' | 'serving';
}

export interface TemporaryWorkerOptions {
  readonly rpc: Rpc;
  readonly nodeKey: Ed25519KeyPair;
  /** Signs the registration and the settlements; pays the deposit and takes the earnings. */
  readonly payout: AccountKey;
  readonly chain: Uint8Array;
  readonly dataDir: string;
  /** The light client's follower; started and stopped with this worker. */
  readonly follower: LedgerFollower;
  /** Managers to apply to for promotion, in turn. */
  readonly managers: readonly PeerRef[];
  /** Sends a signed transaction to the Manager Ring; resolves once a manager admitted it. */
  readonly submit: (tx: Uint8Array) => Promise<unknown>;
  readonly hardware: string;
  readonly settle: SettlePolicy;
  readonly clock?: Clock;
  /** Between looks at the ledger (default 1 s). */
  readonly tickMs?: number;
  /** The heartbeat interval until a manager names its own (default 10 s). */
  readonly heartbeatMs?: number;
  /**
   * While serving as a temporary worker, apply for promotion at most this often once its own record meets the
   * promotion rules at the verified head (default 60 s; 0: never on its own).
   */
  readonly applyEveryMs?: number;
  /**
   * Seals the service log's open batch once its first entry is this old (default 10 s): audits sample sealed
   * batches, and a quiet node would otherwise wait for a full batch (1,024 entries) to be audited at all.
   */
  readonly sealEveryMs?: number;
  readonly logBatchSize?: number;
  /**
   * The Worker Ring: every blob stored here is copied to it, a blob this worker lacks is read from it, and a
   * graceful exit hands the data over to it (docs/worker.md "Replication"). Without it blobs stay on this box.
   */
  readonly ring?: PartStore;
  /**
   * The servers of a Unity (by id): its index servers, which offer this worker to clients while it tells them it
   * is up (SPEC §5 "Liveness", §6 item 2). Without it clients reach this worker only by name.
   */
  readonly unityServers?: (unity: string) => Promise<readonly PeerRef[]>;
  /**
   * Starts a Worker Ring server on this node in Unity `unity` (joining the ring map and pulling the Unity's pairs
   * from its siblings): what a promoted worker does, in the same process (SPEC §6 item 6). Without it a promoted
   * node keeps serving but holds no replicas.
   */
  readonly joinRing?: (unity: string) => Promise<{ stop(): Promise<void> }>;
  readonly logger?: NetLogger;
}

export class TemporaryWorker {
  readonly #o: TemporaryWorkerOptions;
  readonly #clock: Clock;
  #timer: ClockTimer | undefined;
  #running = false;
  #node: NodeRecord | undefined;
  #account: AccountRecord | undefined;
  #params: LedgerParams | undefined;
  #balance = 0n;
  #nonce = 0n;
  #waiting = 'no verified ledger head yet';
  #registeredAt: number | undefined;
  #serving: WorkerNode | undefined;
  #settler: Settler | undefined;
  #tick: Promise<void> | undefined;
  #appliedAt: number | undefined;
  #openSince: number | undefined;
  #workload: WorkloadCounter | undefined;
  readonly #heartbeats: Heartbeats;
  #handOver: Promise<void> | undefined;
  #ringServer: { joined: Promise<void>; handle?: { stop(): Promise<void> } } | undefined;

  constructor(options: TemporaryWorkerOptions) {
    // Managers know a node by the PeerId its connection authenticates: the host must be the node key's.
    if (options.rpc.self.id !== peerIdOf(options.nodeKey)) {
      throw new WorkerError('BAD_VALUE', `the host is ${options.rpc.self.id}, not the node key's PeerId ${peerIdOf(options.nodeKey)}`, { field: 'rpc' });
    }
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#heartbeats = new Heartbeats({
      rpc: options.rpc,
      clock: this.#clock,
      key: options.nodeKey.publicKey.bytes,
      managerKeys: () => options.follower.managers,
      managers: options.managers,
      node: () => this.#node,
      counts: () => {
        const log = this.#serving?.log;
        return {
          served: BigInt(log?.tail().seq ?? 0),
          units: BigInt(log === undefined || this.#workload === undefined ? 0 : this.#workload.count(log)),
        };
      },
      ...(options.unityServers === undefined ? {} : { unityServers: options.unityServers }),
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  get key(): Uint8Array {
    return this.#o.nodeKey.publicKey.bytes;
  }

  /** The serving side, once registered (undefined before). */
  get worker(): WorkerNode | undefined {
    return this.#serving;
  }

  status(): TemporaryStatus {
    return {
      phase: this.#phase(),
      waiting: this.#waiting,
      height: this.#o.follower.height,
      node: this.#node,
      account: this.#account,
      params: this.#params,
      balance: this.#balance,
      served: this.#serving?.log.tail().seq ?? 0,
      settlements: this.#settler?.stats.submitted ?? 0,
      heartbeats: this.#heartbeats.counted.length,
      heartbeatIntervals: [...this.#heartbeats.counted],
      replication: this.#serving?.replicator?.status(),
      indexBeats: this.#heartbeats.indexBeats,
      ringServer: this.#ringServer === undefined ? 'none' : this.#ringServer.handle === undefined ? 'joining' : 'serving',
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#o.follower.start();
    const loop = () => {
      this.#timer = this.#clock.setTimeout(() => {
        this.#tick = this.step().finally(() => {
          if (this.#running) loop();
        });
      }, this.#tick === undefined ? 0 : (this.#o.tickMs ?? 1_000));
    };
    loop();
    this.#heartbeats.start();
  }

  /** Stops or resumes heartbeats alone (serving goes on): what a node that drops off the network looks like. */
  pauseHeartbeats(paused: boolean): void {
    this.#heartbeats.stop();
    if (!paused && this.#running) this.#heartbeats.start();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.pauseHeartbeats(true);
    await this.#tick?.catch(() => undefined);
    this.#o.follower.stop();
    // A join still under way stops its server itself once it is done (#maybeJoinRing); waiting for it here could
    // wait for ever while the deciders refuse.
    const ring = this.#ringServer;
    this.#ringServer = undefined;
    await ring?.handle?.stop();
    this.#serving?.stop();
    this.#serving = undefined;
  }

  /** One look at the ledger and what follows from it (exported for tests; the loop calls it every tick). */
  async step(): Promise<void> {
    try {
      await this.#o.follower.sync();
      const [node, account, params] = await Promise.all([
        this.#o.follower.node(this.key),
        this.#o.follower.account(this.#o.payout.address),
        this.#o.follower.params(),
      ]);
      this.#node = node;
      this.#account = account;
      this.#params = params;
      this.#nonce = account?.nonce ?? 0n;
      this.#balance = account === undefined ? 0n : spendable(params, account);
      this.#waiting = '';
      if (node === undefined) await this.#register(params);
      else {
        this.#serve();
        this.#maybeJoinRing(node);
        this.#maybeSeal();
        await this.#maybeApply(node, params);
      }
      if (this.#settler !== undefined && this.#node?.status !== 'removed') await this.#settler.round();
    } catch (error) {
      this.#waiting = (error as Error).message;
      this.#o.logger?.debug({ err: error }, 'temporary worker step failed');
    }
  }

  /** Applies to the managers in turn; the first manager's promotion or the last refusal. */
  async applyForPromotion(): Promise<PromotionReply> {
    let last: PromotionReply = { ok: false, code: 'REFUSED', field: '', message: 'no manager to apply to' };
    for (const manager of this.#o.managers) {
      try {
        last = await applyForPromotion(this.#o.rpc, manager);
      } catch (error) {
        last = { ok: false, code: 'REFUSED', field: '', message: `${manager.id}: ${(error as Error).message}` };
        continue;
      }
      if (last.ok || last.code === 'NOT_ELIGIBLE' || last.code === 'BAD_ROLE') return last;
    }
    return last;
  }

  /**
   * Files the graceful exit (the first call starts the notice period; one after it releases the deposit) and starts
   * handing this worker's blobs over to the ring; `handedOver()` tells when that is done.
   */
  async exit(): Promise<void> {
    const tx = signAccountTx(
      { chain: this.#o.chain, kind: 'exit', nonce: this.#nonce, fee: this.#params?.minFee ?? 0n, body: { node: this.key } },
      this.#o.payout,
    );
    await this.#o.submit(encodeTx(tx));
    this.#handOver ??= this.#serving?.replicator?.handOver();
  }

  /**
   * Resolves once every blob held here is on the ring again (after exit()); at once when there is nothing to hand
   * over (no ring, or not serving).
   */
  handedOver(): Promise<void> {
    return this.#handOver ?? Promise.resolve();
  }

  /** Once promoted, joins the ring as a server of its Unity (once; retried on the next tick after a failure). */
  #maybeJoinRing(node: NodeRecord): void {
    const join = this.#o.joinRing;
    if (join === undefined || this.#ringServer !== undefined || !this.#running) return;
    if (node.role !== 'worker' || node.status !== 'active' || node.unity === '') return;
    const entry: { joined: Promise<void>; handle?: { stop(): Promise<void> } } = { joined: Promise.resolve() };
    entry.joined = join(node.unity).then(
      async (handle) => {
        if (this.#ringServer !== entry) return handle.stop(); // stopped meanwhile
        entry.handle = handle;
        this.#o.logger?.info({ unity: node.unity }, 'joined the ring as a server of its Unity');
      },
      (error: unknown) => {
        if (this.#ringServer === entry) this.#ringServer = undefined;
        this.#o.logger?.warn({ err: error, unity: node.unity }, 'joining the ring failed; trying again');
      },
    );
    this.#ringServer = entry;
  }

  #maybeSeal(): void {
    const log = this.#serving?.log;
    if (log === undefined) return;
    const now = this.#clock.now();
    if (log.stats().unsealed === 0) {
      this.#openSince = undefined;
      return;
    }
    this.#openSince ??= now;
    // Not while entries wait for their group commit: sealing commits them at once, ahead of the archived receipts
    // committed beside them (WorkerService.#log), and a sealed entry must never lack its receipt.
    if (log.stats().pending > 0) return;
    if (now - this.#openSince >= (this.#o.sealEveryMs ?? 10_000)) {
      log.seal();
      this.#openSince = undefined;
    }
  }

  /** Applies once its own record meets every rule (the managers decide on their final state, the same rules). */
  async #maybeApply(node: NodeRecord, params: LedgerParams): Promise<void> {
    const every = this.#o.applyEveryMs ?? 60_000;
    if (every === 0 || node.role !== 'temporary' || node.status !== 'active' || node.unity === '' || node.rep.bad) return;
    const now = this.#clock.now();
    if (this.#appliedAt !== undefined && now - this.#appliedAt < every) return;
    if (promotionShortfall(node.rep, params, BigInt(now)) !== undefined) return;
    this.#appliedAt = now;
    const reply = await this.applyForPromotion();
    this.#o.logger?.info({ reply: reply.ok ? 'submitted' : `${reply.code}: ${reply.message}` }, 'applied for promotion');
  }

  #phase(): TemporaryPhase {
    const node = this.#node;
    if (node === undefined) return this.#o.follower.height === 0n && this.#waiting !== '' ? 'connecting' : 'registering';
    if (node.status !== 'active') return node.status;
    if (node.role === 'worker') return 'promoted';
    return node.unity === '' ? 'attaching' : 'serving';
  }

  async #register(params: LedgerParams): Promise<void> {
    const need = params.depositTemporary + params.minFee;
    if (this.#balance < need) {
      this.#waiting = `payout account ${this.#o.payout.address} holds ${this.#balance}, the registration needs ${need}`;
      return;
    }
    // Once submitted, wait for it to land (or 30 s) before submitting again: a second one would be a duplicate.
    const now = this.#clock.now();
    if (this.#registeredAt !== undefined && now - this.#registeredAt < 30_000) return;
    const body = { node: this.key, role: 'temporary', hardware: this.#o.hardware };
    const tx = signAccountTx({ chain: this.#o.chain, kind: 'register', nonce: this.#nonce, fee: params.minFee, body }, this.#o.payout, this.#o.nodeKey);
    this.#registeredAt = now;
    await this.#o.submit(encodeTx(tx));
    this.#o.logger?.info({ node: toHex(this.key) }, 'registration submitted');
  }

  #serve(): void {
    if (this.#serving !== undefined) return;
    const managers = new Set(this.#o.follower.managers.map((key) => peerIdOf(key)));
    const prices = () => this.#params!;
    this.#serving = startWorkerNode({
      rpc: this.#o.rpc,
      nodeKey: this.#o.nodeKey,
      dataDir: this.#o.dataDir,
      channels: this.#o.follower.channelView(),
      // A channel opened since the last poll is in a block the follower has not verified yet: follow first.
      learnChannel: async (id) => {
        await this.#o.follower.sync();
        return this.#o.follower.channel(id);
      },
      prices,
      auditor: (peer) => managers.has(peer),
      now: () => this.#clock.now(),
      clock: this.#clock,
      ...(this.#o.logBatchSize === undefined ? {} : { logBatchSize: this.#o.logBatchSize }),
      ...(this.#o.ring === undefined ? {} : { ring: this.#o.ring }),
    });
    this.#workload = new WorkloadCounter(join(this.#o.dataDir, WORKER_DIR));
    this.#settler = new Settler({
      book: this.#serving.book,
      self: this.key,
      payout: this.#o.payout,
      chain: this.#o.chain,
      channels: this.#o.follower.channelView(),
      nonce: () => this.#nonce,
      submit: this.#o.submit,
      policy: this.#o.settle,
      fee: this.#params!.minFee,
      now: () => this.#clock.now(),
    });
  }
}
