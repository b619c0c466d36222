/**
 * The real NodeRuntime of a device (runtime.ts): a libp2p host under the node identity, a light client of the
 * chain named by the genesis this device trusts, and a TemporaryWorker (node/worker/temporary-worker.ts) that
 * registers, serves, heartbeats, settles and applies for promotion. The device's own wallet is the account that
 * registers and settles (SPEC §6 item 1: an owner's address in the config is bound later by a `rebind` the owner
 * signs); its keystore lives beside the data the factory reset keeps.
 *
 * The managers to talk to are the config's `network.bootstrap` peers (multiaddrs ending in /p2p/<PeerId>). Behind NAT
 * (`network.relay`, docs/device.md "Behind NAT") the host reserves a slot on the `network.relays` and advertises the
 * /p2p-circuit addresses in ring-contact.json, rewritten whenever its addresses change.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { readKeystoreFile, unlockKeystore, type AccountKey } from '../node/crypto/index.ts';
import { genesisId, genesisStateRoot, type GenesisConfig } from '../node/ledger/index.ts';
// The one manager call a device makes: from its own module, so a device does not load the manager's server code.
import { submitTx } from '../node/manager/rpc.ts';
import { createHost, type Host, isLoopbackAddr, isPublicAddr, type NatOptions, type PeerRef, peersOfMultiaddrs } from '../node/net/index.ts';
import { contactTrust, startRingServerNode, writeContact } from '../node/ring/service/ring-host.ts';
import { BLOB_SCHEMES } from '../node/worker/replication/part-store.ts';
import { ServiceLog } from '../node/store/index.ts';
import { LedgerFollower } from '../node/worker/ledger-view.ts';
import { LIGHT_CHECKPOINT_FILE, resumeLightClient, saveLightCheckpoint } from '../node/worker/light-checkpoint.ts';
import { ringEntry } from '../node/worker/ring-entry.ts';
import { WORKER_DIR } from '../node/worker/worker-node.ts';
import type { SettlePolicy } from '../node/worker/payments/index.ts';
import { type TemporaryStatus, TemporaryWorker } from '../node/worker/temporary-worker.ts';
import type { HealthCheck } from './checks/types.ts';
import { DeviceError } from './errors.ts';
import type { DeviceConfig } from './config/schema.ts';
import type { LedgerSnapshot, NodeRuntime, NodeRuntimeFactory, RuntimeContext, RuntimeStatus } from './runtime.ts';

export interface WorkerRuntimeOptions {
  /** The chain this device trusts (its light client starts from it). */
  readonly genesis: GenesisConfig;
  /** The device's wallet keystore (unencrypted at rest on the device; the data partition is the device's). */
  readonly walletFile: string;
  readonly settle?: SettlePolicy;
  readonly tickMs?: number;
  readonly heartbeatMs?: number;
  /** How long connect/register/serve wait for their phase before failing (the agent retries; default 30 s). */
  readonly waitMs?: number;
}

const DEFAULT_SETTLE: SettlePolicy = { threshold: 100_000n, maxAgeMs: 60_000, deadlineMarginMs: 120_000 };

/** PeerRefs of `network.bootstrap` (or another list of `field`): one per PeerId, with every address given for it. */
export function managersOf(bootstrap: readonly string[], field = 'network.bootstrap'): PeerRef[] {
  const parsed = peersOfMultiaddrs(bootstrap);
  if ('bad' in parsed) throw new DeviceError('CONFIG_INVALID', `${field}: ${parsed.bad} names no /p2p/ peer`);
  return parsed.peers;
}

/** The addresses a listen multiaddr stands for: an unspecified IP (0.0.0.0, ::) means every interface's. */
function candidateAddrs(listen: readonly string[]): string[] {
  const out: string[] = [];
  for (const text of listen) {
    const m = /^\/(ip4|ip6)\/([^/]+)(\/.*)?$/.exec(text);
    if (m === null) continue;
    if (m[2] !== '0.0.0.0' && m[2] !== '::') {
      out.push(text);
      continue;
    }
    const family = m[1] === 'ip4' ? 'IPv4' : 'IPv6';
    for (const infos of Object.values(networkInterfaces())) {
      for (const info of infos ?? []) if (info.family === family) out.push(`/${m[1]}/${info.address}${m[3] ?? ''}`);
    }
  }
  return out;
}

export interface NatPlan {
  /** Host options; undefined: none (the host is as it was before NAT support). */
  readonly nat: NatOptions | undefined;
  /** Why, for the log. */
  readonly reason: string;
}

/**
 * How this device is reached (docs/device.md "Behind NAT"): `never` — directly only; `always` — through the relays
 * too; `auto` — through the relays when none of its addresses is public, unless all are loopback (a network on one
 * machine has nothing to relay). AutoNAT, DCUtR and UPnP run whenever the device is not loopback-only.
 */
export function natPlanOf(network: Pick<DeviceConfig['network'], 'listen' | 'relay' | 'relays'>): NatPlan {
  if (network.relay === 'never') return { nat: undefined, reason: 'network.relay is never' };
  const addrs = candidateAddrs(network.listen);
  const loopbackOnly = addrs.length > 0 && addrs.every((a) => isLoopbackAddr(a));
  if (network.relay === 'auto' && loopbackOnly) return { nat: undefined, reason: 'listening on loopback only' };
  const traversal = { autonat: true, dcutr: true, upnp: !loopbackOnly };
  const behind = network.relay === 'always' || !addrs.some((a) => isPublicAddr(a));
  if (!behind) return { nat: traversal, reason: 'a listen address is public' };
  if (network.relays.length === 0) {
    if (network.relay === 'always') throw new DeviceError('CONFIG_INVALID', 'network.relays: network.relay is always, name at least one relay');
    return { nat: traversal, reason: 'no public address and no network.relays: reachable only if UPnP maps a port' };
  }
  return { nat: { ...traversal, relays: network.relays }, reason: network.relay === 'always' ? 'network.relay is always' : 'no public listen address' };
}

/** How often the light client's verified head is saved: a power cut costs at most this much of following again. */
const CHECKPOINT_EVERY_MS = 15_000;

class WorkerRuntime implements NodeRuntime {
  readonly #o: WorkerRuntimeOptions;
  readonly #ctx: RuntimeContext;
  #host: Host | undefined;
  #worker: TemporaryWorker | undefined;
  /** Saves the light client's verified head (every CHECKPOINT_EVERY_MS and at stop). */
  #saveCheckpoint: (() => void) | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #payout: AccountKey | undefined;
  #managerKeys: (() => readonly Uint8Array[]) | undefined;

  constructor(options: WorkerRuntimeOptions, context: RuntimeContext) {
    this.#o = options;
    this.#ctx = context;
  }

  async connect(): Promise<void> {
    if (this.#worker !== undefined) return;
    const managers = managersOf(this.#ctx.config.network.bootstrap);
    if (managers.length === 0) throw new DeviceError('CONFIG_INVALID', 'network.bootstrap: name at least one manager to join through');
    this.#payout ??= (await unlockKeystore(readKeystoreFile(this.#o.walletFile))).account;
    if (this.#host === undefined) {
      const plan = natPlanOf(this.#ctx.config.network);
      const host = createHost({
        nodeKey: this.#ctx.identity.key,
        listen: this.#ctx.config.network.listen,
        logger: this.#ctx.logger,
        ...(plan.nat === undefined ? {} : { nat: plan.nat }),
      });
      await host.start();
      this.#host = host;
      this.#ctx.logger.info({ relays: plan.nat?.relays ?? [], addrs: host.peer.addrs, why: plan.reason }, 'device network');
      // Clients name this node by its data folder, as they name a ring server's (docs/cli.md); a relay's
      // reservation or a UPnP mapping changes the addresses later.
      this.#writeContact(host);
      host.libp2p.addEventListener('self:peer:update', () => {
        if (this.#host === host) this.#writeContact(host);
      });
    }
    const rpc = this.#host.rpc;
    // Resumed from the last verified head this device saved, so a boot fetches only the headers since.
    const checkpointPath = join(this.#ctx.dataDir, WORKER_DIR, LIGHT_CHECKPOINT_FILE);
    const { light, resumed, why } = resumeLightClient(this.#o.genesis, genesisStateRoot(this.#o.genesis), checkpointPath);
    this.#ctx.logger.info({ height: light.height, resumed, why }, 'light client');
    const follower = new LedgerFollower({ rpc, managers, light, logger: this.#ctx.logger });
    try {
      await follower.sync();
    } catch (error) {
      follower.stop();
      throw error;
    }
    this.#saveCheckpoint = () => {
      try {
        saveLightCheckpoint(checkpointPath, light.checkpoint());
      } catch (error) {
        this.#ctx.logger.warn({ err: error }, 'light client checkpoint not saved');
      }
    };
    this.#saveCheckpoint();
    this.#checkpointTimer = setInterval(() => this.#saveCheckpoint?.(), CHECKPOINT_EVERY_MS);
    this.#checkpointTimer.unref();
    let next = 0;
    const entry = managersOf(this.#ctx.config.network.ring, 'network.ring');
    const trust = { managers: () => follower.managers };
    this.#managerKeys = () => follower.managers;
    this.#writeContact(this.#host);
    const ring = entry.length === 0 ? undefined : ringEntry({ rpc, entry, authority: trust });
    const deciders = managersOf(this.#ctx.config.network.ringAuthority, 'network.ringAuthority');
    const host = this.#host;
    this.#worker = new TemporaryWorker({
      rpc,
      nodeKey: this.#ctx.identity.key,
      payout: this.#payout,
      chain: genesisId(this.#o.genesis),
      dataDir: this.#ctx.dataDir,
      follower,
      managers,
      // Each transaction to the next manager in turn; a refusal is the manager's typed error.
      submit: (tx) => submitTx(rpc, managers[next++ % managers.length]!, tx),
      hardware: 'ame device',
      settle: this.#o.settle ?? DEFAULT_SETTLE,
      logger: this.#ctx.logger,
      ...(this.#o.tickMs === undefined ? {} : { tickMs: this.#o.tickMs }),
      ...(this.#o.heartbeatMs === undefined ? {} : { heartbeatMs: this.#o.heartbeatMs }),
      // Blobs stored here are copied to the Worker Ring (and read from it), and the Unity's index servers offer
      // this worker to clients; without ring servers the blobs stay here and clients name the worker.
      ...(ring === undefined ? {} : { ring: ring.parts, unityServers: (unity: string) => ring.unityServers(unity) }),
      // Promoted: a ring server of its Unity in this process, on the same host, holding the Unity's replicas.
      ...(deciders.length === 0
        ? {}
        : {
            joinRing: (unity: string) =>
              startRingServerNode({
                nodeKey: this.#ctx.identity.key,
                host,
                keepHost: true,
                dataDir: this.#ctx.dataDir,
                authority: trust,
                managers: () => deciders,
                join: true,
                unity,
                schemes: BLOB_SCHEMES,
                logger: this.#ctx.logger,
              }),
          }),
    });
    this.#worker.start();
  }

  /** ring-contact.json: how clients reach this node, and (once the ledger is followed) whom to trust for its views. */
  #writeContact(host: Host): void {
    const keys = this.#managerKeys;
    writeContact(this.#ctx.dataDir, { peer: host.peer, ...(keys === undefined || keys().length === 0 ? {} : contactTrust({ managers: keys })) });
  }

  /** Waits until the worker's phase is one of `phases`; fails naming what it waits for (the agent retries). */
  async #until(phases: readonly TemporaryStatus['phase'][], what: string): Promise<TemporaryStatus> {
    const worker = this.#worker;
    if (worker === undefined) throw new DeviceError('RUNTIME_FAILED', `${what}: not connected`);
    const deadline = Date.now() + (this.#o.waitMs ?? 30_000);
    for (;;) {
      const status = worker.status();
      if (phases.includes(status.phase)) return status;
      if (status.phase === 'removed' || status.phase === 'exited') throw new DeviceError('RUNTIME_FAILED', `${what}: the node is ${status.phase}`);
      if (Date.now() > deadline) throw new DeviceError('RUNTIME_FAILED', `${what}: still ${status.phase}${status.waiting === '' ? '' : ` (${status.waiting})`}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async register(): Promise<void> {
    await this.#until(['attaching', 'serving', 'promoted', 'exiting'], 'registration');
  }

  async serve(): Promise<void> {
    await this.#until(['serving', 'promoted', 'exiting'], 'attachment to a Unity');
  }

  /** Asks the managers to promote this node (SPEC §6 item 6); their answer. */
  async applyForPromotion(): Promise<Awaited<ReturnType<TemporaryWorker['applyForPromotion']>>> {
    if (this.#worker === undefined) throw new DeviceError('RUNTIME_FAILED', 'promotion: not connected');
    return this.#worker.applyForPromotion();
  }

  /**
   * After an unclean stop: the service log opens only when its rows, chain tail and meta agree (ServiceLog.open
   * checks them), so a log a power cut damaged stops the agent before it serves on it. The light client keeps no
   * state between runs (it follows again from the genesis), so there is no state root of its own to check.
   */
  preServingChecks(): readonly HealthCheck[] {
    const path = join(this.#ctx.dataDir, WORKER_DIR, 'service-log.sqlite');
    return [
      {
        name: 'service log chain tail',
        severity: 'fatal',
        run: async () => {
          if (!existsSync(path)) return { ok: true, detail: 'no service log yet' };
          const log = ServiceLog.open({ path });
          try {
            return { ok: true, detail: `chain intact to entry ${log.tail().seq}` };
          } finally {
            log.close();
          }
        },
      },
    ];
  }

  async status(): Promise<RuntimeStatus> {
    const status = this.#worker?.status();
    const node = status?.node;
    const book = this.#worker?.worker?.book;
    let unsettled = 0n;
    let settled = 0n;
    for (const entry of book?.list() ?? []) {
      settled += entry.paid;
      unsettled += entry.amount - entry.paid;
    }
    return {
      role: node === undefined ? 'none' : node.role === 'worker' ? 'server' : 'temporary-worker',
      peerId: this.#ctx.identity.peerId,
      walletAddress: node?.account ?? null,
      registered: node !== undefined,
      promoted: node?.role === 'worker',
      connectedPeers: this.#host?.libp2p.getConnections().length ?? 0,
      balance: status === undefined || status.height === 0n ? null : { unit: 'ABC', micro: status.balance },
      earnings: {
        servedRequests: status?.served ?? 0,
        receiptsHeld: book?.list().length ?? 0,
        unsettled: { unit: 'ABC', micro: unsettled },
        settled: { unit: 'ABC', micro: settled },
      },
      problems: status === undefined || status.waiting === '' ? [] : [status.waiting],
    };
  }

  /** The light client keeps no header time: block time is taken from the clock, as the worker's own promotion check does. */
  async ledger(): Promise<LedgerSnapshot | undefined> {
    const status = this.#worker?.status();
    if (status?.params === undefined || status.height === 0n) return undefined;
    return { height: status.height, time: BigInt(Date.now()), node: status.node, account: status.account, params: status.params };
  }

  async gracefulExit(): Promise<void> {
    const worker = this.#worker;
    if (worker?.status().node === undefined) return;
    if (worker.status().phase !== 'exiting') await worker.exit();
    await this.#until(['exiting', 'exited'], 'graceful exit');
  }

  async stop(): Promise<void> {
    clearInterval(this.#checkpointTimer);
    this.#saveCheckpoint?.();
    this.#saveCheckpoint = undefined;
    const worker = this.#worker;
    const host = this.#host;
    this.#worker = undefined;
    this.#host = undefined;
    await worker?.stop();
    await host?.stop();
  }
}

/** The factory `ame device` gives the agent. */
export function workerRuntimeFactory(options: WorkerRuntimeOptions): NodeRuntimeFactory {
  return (context) => new WorkerRuntime(options, context);
}
