/**
 * A manager server (docs/manager.md): one libp2p host (given), a ledger on a store file, a chain store of the
 * final blocks, the mempool and its intake (intake.ts), the applier of decisions (applier.ts) and the consensus
 * era of the current manager set (era.ts: ACP and its reactor, block pool, certifier, roles).
 *
 * Start: a new data folder gets the genesis; a folder holding a chain reopens it (restart) and catches up from the
 * members; `sync: true` on an empty folder copies a member's state (sync.ts) first. The era is the manager set of
 * the final state: its ACP chain starts at the block that installed the set (the genesis for the first set). When
 * an applied block changes the set — a reconfigure, or the recovery block that `recover` applies — the era ends and
 * the next one starts; a server whose key is not in the new set stops taking part in consensus and keeps following.
 *
 * Values: when the reactor asks for the value of a round, the server builds a ledger block at its final head from
 * the mempool (`buildBlock`: kind 'final', leaders = [itself], the head's ledger certificate as parent
 * certificate), broadcasts the body and proposes its header hash; with an empty mempool it proposes NOTHING.
 */
import { bytesEqual, type Ed25519KeyPair, peerIdOf, SignatureCache, toHex, type VerifySig } from '../crypto/index.ts';
import { anchorOf } from '../consensus/acp/node.ts';
import type { AcpParams } from '../consensus/acp/params.ts';
import type { VrfImplementation } from '../consensus/crypto-suite.ts';
import type { AcpValue } from '../consensus/reactor.ts';
import { type Block, type BlockResult, type Certificate, checkInvariants, decodeBlock, type GenesisConfig, genesisId, Ledger, TxMemo } from '../ledger/index.ts';
import { type Clock, type Host, type NetLogger, type PeerRef, systemClock } from '../net/index.ts';
import type { Certify } from '../ring/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { type ApplierStats, DecisionApplier } from './applier.ts';
import { NOTHING, Proposer } from './build.ts';
import { ChainStore } from './chain-store.ts';
import { ConsensusEra, eraGenesis, eraStartOf, type EraOptions } from './era.ts';
import { ManagerError } from './errors.ts';
import { IdlePacer } from './idle.ts';
import { TxIntake } from './intake.ts';
import { BuildTurn, primaryAt } from './turn.ts';
import { serveLight } from './light-rpc.ts';
import { Mempool, type MempoolOptions } from './mempool.ts';
import { RECOVER_METHOD, serveRecovery } from './recover.ts';
import { RingCertifier } from './ring-certifier.ts';
import type { RoleEntry } from './roles.ts';
import { RoundGuard } from './round-guard.ts';
import { encodeHead, type Head, HEAD_METHOD } from './rpc.ts';
import { serveSnapshots } from './snapshot.ts';
import { BLOCKS_METHOD, serveBlocks, stateSync } from './sync.ts';

export { NOTHING } from './build.ts';

/** Heights of block bodies kept below the head: a stale proposal can still be decided a few rounds later. */
const KEEP_HEIGHTS = 64n;

export interface ManagerServerOptions {
  /** A host built with this manager's node key; started before the server. */
  readonly host: Host;
  /** The node key: the libp2p identity, the ACP signing/VRF key and the ledger's manager key. */
  readonly nodeKey: Ed25519KeyPair;
  /** The 32-byte seed of `nodeKey` (ACP's VRF secret). */
  readonly seed: Uint8Array;
  /** Genesis manager index of this server (checked when given). */
  readonly index?: number;
  /** The managers' peers this server knows (any order; a manager without an entry is reached by its peer id). */
  readonly peers: readonly PeerRef[];
  readonly genesis: GenesisConfig;
  /** The ledger's state store file: created with the genesis when new, reopened when it holds a chain. */
  readonly storePath: string;
  /** The chain store file (default: storePath + '.chain'). */
  readonly chainPath?: string;
  /** On empty stores: copy a member's state instead of starting from the genesis (a new or replaced server). */
  readonly sync?: boolean;
  readonly vrf: VrfImplementation;
  readonly acpParams?: AcpParams;
  /** ACP rounds kept below the final head (default 32; tests lower it to reach checkpoints quickly). */
  readonly acpKeepHeights?: number;
  readonly clock?: Clock;
  readonly logger?: NetLogger;
  readonly mempool?: MempoolOptions;
  /** Heartbeats between members and the silence after which the standby takes a role over (roles.ts). */
  readonly roles?: { readonly heartbeatMs?: number; readonly downAfterMs?: number };
  /**
   * Check the supply invariants of SPEC §7 after every applied block (a full scan of the state: for tests and
   * audits). A violation is logged (warn) and counted in `stats().invariantViolations`.
   */
  readonly checkInvariants?: boolean;
}

export interface ManagerStats extends ApplierStats {
  /** Blocks this manager built and proposed. */
  readonly proposed: number;
  /** Eras this server has run (1 + manager-set changes it took part in). */
  readonly eras: number;
  /** Blocks after which the invariants did not hold (with `checkInvariants`). */
  readonly invariantViolations: number;
  /** Blocks after which the invariants were checked. */
  readonly invariantChecks: number;
  /** Signature checks answered from the cache / verified. */
  readonly signatureHits: number;
  readonly signatureMisses: number;
  /** Idle rounds whose value this manager held back (idle.ts). */
  readonly idleHeld: number;
}

export class ManagerServer {
  readonly #o: ManagerServerOptions;
  readonly #clock: Clock;
  readonly #store: Store;
  readonly #chain: ChainStore;
  readonly #chainId: Uint8Array;
  #ledger: Ledger | undefined;
  readonly mempool: Mempool;
  readonly #intake: TxIntake;
  readonly #turn: BuildTurn;
  readonly #applier: DecisionApplier;
  #era: ConsensusEra | undefined;
  #eras = 0;
  readonly #proposer: Proposer;
  /** This round's value waits for a builder's block (#nextValue). */
  #awaitingBuilder = false;
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  #violations = 0;
  readonly #rounds: RoundGuard;
  readonly #ring: RingCertifier;
  #invariantChecks = 0;
  readonly #unserve: (() => void)[] = [];
  /** Signatures verified once here: at admission, not again when building or applying (docs/manager.md). */
  readonly #signatures = new SignatureCache();
  /** Transactions decoded once here, shared by the mempool and the ledger. */
  readonly #memo = new TxMemo();
  readonly #pacer: IdlePacer;

  constructor(options: ManagerServerOptions) {
    const { genesis, index, nodeKey, host } = options;
    if (index !== undefined) {
      const me = genesis.managers[index];
      if (me === undefined || !bytesEqual(me.key, nodeKey.publicKey.bytes)) {
        throw new ManagerError('BAD_CONFIG', `the node key is not genesis manager ${index}'s`);
      }
    }
    if (host.id !== peerIdOf(nodeKey.publicKey.bytes)) throw new ManagerError('BAD_CONFIG', 'the host is not this node key\'s');
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#chainId = genesisId(genesis);
    this.#store = openStore(options.storePath);
    try {
      this.#chain = ChainStore.open(options.chainPath ?? `${options.storePath}.chain`, { chainId: this.#chainId });
    } catch (error) {
      this.#store.close();
      throw error;
    }
    const empty = this.#store.head() === 0 && this.#chain.head().height === 0n;
    try {
      if (!empty) this.#ledger = Ledger.open(this.#store, this.#chain.head().hash, this.#ledgerOptions());
      else if (options.sync !== true) this.#ledger = Ledger.create(this.#store, genesis, this.#ledgerOptions());
    } catch (error) {
      this.close();
      throw error;
    }
    this.mempool = new Mempool({ ...options.mempool, ...this.#ledgerOptions() });
    this.#pacer = new IdlePacer({ clock: this.#clock, refresh: () => this.#era?.refreshValue() });
    this.#turn = new BuildTurn({ clock: this.#clock, refresh: () => this.#era?.refreshValue() });
    this.#intake = new TxIntake({
      rpc: host.rpc,
      mempool: this.mempool,
      ledger: () => this.ledger,
      time: () => this.#time(),
      members: () => this.#era?.peers ?? [],
      // A paced idle round waits for a value: the first transaction is one.
      admitted: () => {
        if (this.#pacer.idle) this.#era?.refreshValue();
      },
      logger: options.logger,
    });
    this.#proposer = new Proposer({
      clock: this.#clock,
      mempool: this.mempool,
      proposer: nodeKey.publicKey.bytes,
      certificate: (hash) => this.certificate(hash),
      time: () => this.#time(),
      refresh: () => this.#era?.refreshValue(),
      logger: options.logger,
    });
    this.#rounds = new RoundGuard({ chain: this.#chain, rpc: host.rpc, logger: options.logger });
    this.#ring = new RingCertifier({
      rpc: host.rpc,
      clock: this.#clock,
      nodeKey,
      managers: () => this.#ledger?.finalView().managers().keys,
      peerOf: (key) => this.#managerPeers([key])[0]!,
      records: this.#chain,
      logger: options.logger,
    });
    this.#applier = new DecisionApplier({
      rpc: host.rpc,
      clock: this.#clock,
      ledger: () => this.ledger,
      era: () => this.#era,
      members: () => this.#members(),
      running: () => this.#state === 'running',
      has: (hash) => this.#chain.blockByHash(hash) !== undefined || bytesEqual(hash, this.#chainId),
      onApplied: (block, result) => this.#onApplied(block, result),
      onIdle: () => this.#era?.refreshValue(),
      onSettled: (d) => {
        this.#pacer.settled(d);
        const anchor = anchorOf(d);
        if (anchor !== undefined) this.#rounds.anchored(anchor);
      },
      logger: options.logger,
    });
  }

  /** The ledger (after `start` resolved, for a server that syncs). */
  get ledger(): Ledger {
    if (this.#ledger === undefined) throw new ManagerError('BAD_CONFIG', 'the ledger is not synced yet');
    return this.#ledger;
  }

  get store(): Store {
    return this.#store;
  }

  get chain(): ChainStore {
    return this.#chain;
  }

  /** Starts serving and consensus; a syncing server first copies a member's state (SYNC_FAILED if none can). */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new ManagerError('BAD_CONFIG', 'a manager server is started once');
    this.#state = 'starting';
    const { rpc } = this.#o.host;
    const isMember = (peer: string) => this.#members().some((p) => p.id === peer);
    this.#unserve.push(serveSnapshots(rpc, this.#store, isMember));
    this.#unserve.push(serveBlocks(rpc, () => this.#chain, () => this.#store, isMember));
    this.#unserve.push(serveRecovery(rpc, (block) => this.recover(block)));
    this.#unserve.push(this.#ring.serve());
    // Light clients (light-rpc.ts): final headers and proven state; UNAVAILABLE while the ledger is being synced.
    this.#unserve.push(serveLight(rpc, { chain: () => this.#chain, store: () => (this.#ledger === undefined ? undefined : this.#store) }));
    rpc.handle(HEAD_METHOD, async () => encodeHead(this.head()));
    this.#unserve.push(() => rpc.unhandle(HEAD_METHOD));
    const reopened = this.#chain.head().height > 0n;
    if (this.#ledger === undefined) {
      const synced = await stateSync({
        rpc,
        peers: this.#o.peers.filter((p) => p.id !== rpc.self.id),
        genesis: this.#o.genesis,
        store: this.#store,
        chain: this.#chain,
        logger: this.#o.logger,
      });
      if (this.#state !== 'starting') return;
      this.#ledger = Ledger.open(this.#store, synced.hash, this.#ledgerOptions());
    }
    const era = eraStartOf(this.#chain, this.ledger.finalView());
    const others = this.#members().filter((p) => p.id !== rpc.self.id);
    const silentThrough = reopened || this.#o.sync === true ? await this.#rounds.silentThrough(era, others) : 0;
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    this.#intake.start();
    this.#startEra(era, silentThrough);
    if (reopened || this.#o.sync === true) this.#applier.requestCatchUp();
  }

  /** Stops consensus and the methods, and closes the stores (the host is the caller's). */
  stop(): void {
    if (this.#state === 'stopped') return;
    const was = this.#state;
    this.#state = 'stopped';
    this.#proposer.stop();
    this.#pacer.stop();
    this.#turn.stop();
    this.#applier.stop();
    if (was !== 'new') {
      this.#era?.stop();
      this.#intake.stop();
      for (const f of this.#unserve.splice(0)) f();
    }
    this.close();
  }

  private close(): void {
    this.#store.close();
    this.#chain.close();
  }

  head(): Head {
    const chain = this.ledger.finalView().chain();
    return {
      height: chain.height,
      hash: this.ledger.headHash,
      stateRoot: this.#store.root(this.#store.head()),
      mempool: BigInt(this.mempool.size),
      acpHeight: BigInt(this.#era?.acpHeight ?? 0),
    };
  }

  /** The last final block (undefined at genesis). */
  headBlock(): Block | undefined {
    const stored = this.#chain.head().height === 0n ? undefined : this.#chain.blockByHash(this.#chain.head().hash);
    return stored === undefined ? undefined : decodeBlock(stored.bytes);
  }

  /** This member's view of who holds each of the six roles (empty when not a member of the current set). */
  roles(): readonly RoleEntry[] {
    return this.#era?.roles() ?? [];
  }

  /** The ledger certificate of a block applied here, once a quorum of members signed it. */
  certificate(hash: Uint8Array): Certificate | undefined {
    const stored = this.#chain.blockByHash(hash);
    if (stored !== undefined && stored.certificate.length > 0) return stored.certificate;
    return this.#era?.certificate(hash);
  }

  /**
   * Certifies ring maps and Unity views by a quorum of the current manager set (`manager/ring-sign`,
   * ring-certifier.ts): QUORUM_TIMEOUT without one by the deadline (default 5 s), SIGN_REFUSED when refused.
   */
  ringCertify(options: { readonly timeoutMs?: number } = {}): Certify {
    return (document) => this.#ring.certify(document, options);
  }

  /** What the ledger and the mempool share: the signature cache and the decoded transactions. */
  #ledgerOptions(): { verify: VerifySig; memo: TxMemo } {
    return { verify: this.#signatures.verify, memo: this.#memo };
  }

  /** The members of the current manager set (empty while not synced). */
  members(): readonly PeerRef[] {
    return this.#members();
  }

  /** Admits a transaction as if a client submitted it (hash, or a typed ManagerError). */
  submit(tx: Uint8Array): Uint8Array {
    return this.#intake.submit(tx);
  }

  stats(): ManagerStats {
    return {
      ...this.#applier.stats(),
      proposed: this.#proposer.proposed,
      eras: this.#eras,
      invariantViolations: this.#violations,
      invariantChecks: this.#invariantChecks,
      signatureHits: this.#signatures.stats().hits,
      signatureMisses: this.#signatures.stats().misses,
      idleHeld: this.#pacer.held,
    };
  }

  /**
   * The recovery procedure (SPEC §7): applies a block on the last final block that the recovery keys certified
   * (it must hold their reconfigure; the ledger checks all of it) and starts the era of the set it installs.
   */
  recover(block: Block): void {
    if (this.#state !== 'running') throw new ManagerError('BAD_CONFIG', 'the server is not running');
    const result = this.ledger.apply(block, { certified: true });
    this.#onApplied(block, result);
  }

  #members(): readonly PeerRef[] {
    if (this.#ledger === undefined) return this.#managerPeers(this.#o.genesis.managers.map((m) => m.key));
    return this.#managerPeers(this.#ledger.finalView().managers().keys);
  }

  #managerPeers(keys: readonly Uint8Array[]): PeerRef[] {
    return keys.map((key) => {
      const id = peerIdOf(key);
      return this.#o.peers.find((p) => p.id === id) ?? { id, addrs: [] };
    });
  }

  #time(): bigint {
    const now = BigInt(Math.floor(this.#clock.now()));
    const last = this.ledger.finalView().chain().lastTime;
    return now > last ? now : last;
  }

  #startEra(startId: Uint8Array, silentThrough = 0): void {
    this.#rounds.enterEra(startId);
    const early = this.#era?.earlySignatures();
    this.#era?.stop();
    this.#era = undefined;
    this.#proposer.reset();
    const keys = this.ledger.finalView().managers().keys;
    if (!keys.some((k) => bytesEqual(k, this.#o.nodeKey.publicKey.bytes))) {
      this.#o.logger?.warn({ era: toHex(startId) }, 'not in the manager set: following the chain without consensus');
      return;
    }
    const peers = this.#managerPeers(keys);
    const anchor = this.#rounds.anchor(startId);
    this.#era = new ConsensusEra({
      host: this.#o.host,
      nodeKey: this.#o.nodeKey,
      seed: this.#o.seed,
      members: keys.map((key, i) => ({ peer: peers[i]!, key })),
      chainId: this.#chainId,
      acpGenesis: eraGenesis(startId, this.#chainId, this.#o.genesis.rs0),
      vrf: this.#o.vrf,
      pooled: (hash) => this.mempool.get(hash)?.bytes ?? this.#intake.pending(hash),
      arrived: (block) => this.#builderArrived(block),
      acpParams: this.#o.acpParams,
      keepHeights: this.#o.acpKeepHeights,
      clock: this.#clock,
      logger: this.#o.logger,
      roles: this.#o.roles,
      silentThrough,
      anchor,
      nextValue: (height) => {
        this.#rounds.entered(height);
        return this.#nextValue(height);
      },
      onDecide: (d) => this.#applier.decided(d),
      onCertified: (height, hash, certificate) => this.#onCertified(height, hash, certificate),
      handover: this.#handover(startId),
      early,
    });
    this.#eras += 1;
    this.#era.start();
    this.#o.logger?.info({ era: toHex(startId), members: keys.length, anchor: anchor?.height }, 'consensus era started');
  }

  /**
   * The block that installed the current set when it has no certificate yet (a reconfigure in a normal block: the
   * era that decided it ended with it): the new era gathers it from the set before (certifier.ts).
   */
  #handover(startId: Uint8Array): EraOptions['handover'] {
    const previous = this.ledger.finalView().previousManagers();
    const installed = previous === undefined ? undefined : this.#chain.block(previous.height);
    if (previous === undefined || installed === undefined || installed.certificate.length > 0 || !bytesEqual(installed.hash, startId)) return undefined;
    const peers = this.#managerPeers(previous.keys);
    return { height: previous.height, hash: installed.hash, members: previous.keys.map((key, i) => ({ key, peer: peers[i]! })) };
  }

  #onCertified(height: bigint, hash: Uint8Array, certificate: Certificate): void {
    const stored = this.#chain.block(height);
    if (stored !== undefined && bytesEqual(stored.hash, hash) && stored.certificate.length === 0) {
      this.#chain.setCertificate(height, certificate);
    }
    if (this.#ledger !== undefined && bytesEqual(hash, this.#ledger.headHash)) this.#era?.refreshValue();
  }

  #onApplied(block: Block, result: BlockResult): void {
    this.#chain.append(block, result);
    this.#proposer.applied();
    if (this.#o.checkInvariants === true) this.#checkInvariants(block);
    for (const outcome of result.outcomes) {
      this.mempool.remove(outcome.hash);
      this.#intake.forget(outcome.hash);
    }
    const view = this.ledger.finalView();
    this.mempool.prune(view);
    if (view.previousManagers()?.height === block.header.height) {
      // The block changed the manager set: it ends the era (its certificate was gathered by the old set, or the
      // recovery keys) and starts the next, which a server outside the new set only follows.
      queueMicrotask(() => {
        if (this.#state === 'running') this.#startEra(result.hash);
      });
      return;
    }
    this.#era?.applied(block.header.height, result.hash);
    this.#era?.pruneBodiesBelow(block.header.height - KEEP_HEIGHTS);
  }

  #checkInvariants(block: Block): void {
    this.#invariantChecks += 1;
    try {
      checkInvariants(this.ledger.finalView());
    } catch (err) {
      this.#violations += 1;
      this.#o.logger?.warn({ err, height: block.header.height }, 'supply invariants do not hold after a block');
    }
  }

  #nextValue(height: number): AcpValue | undefined {
    if (this.#applier.busy || this.#pacer.hold(height, this.mempool.size)) return undefined;
    const era = this.#era;
    if (this.#state !== 'running' || era === undefined) return { valueHash: NOTHING, size: 0 };
    const head = this.ledger.headHash;
    const primary = era.members[primaryAt(height, era.members.length)]!.key;
    const limit = this.ledger.finalView().params().blockLimitBytes;
    const turn = this.#turn.value(height, era.index, era.members.length, head, era.proposedOn(head, primary), this.mempool.size > 0, limit);
    this.#awaitingBuilder = turn.kind === 'wait';
    if (turn.kind === 'wait') return undefined;
    const broadcast = (block: Block) => era.broadcast(block);
    return this.#proposer.value(this.ledger, this.#chain.head().height === 0n, broadcast, turn.kind === 'build', turn.kind === 'build' ? turn.limitBytes : undefined);
  }

  #builderArrived(block: Block): void {
    if (!this.#awaitingBuilder || this.#ledger === undefined || !bytesEqual(block.header.prevHash, this.#ledger.headHash)) return;
    this.#awaitingBuilder = false;
    this.#era?.refreshValue();
  }
}

export { BLOCKS_METHOD, RECOVER_METHOD };
