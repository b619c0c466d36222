/**
 * A manager server (docs/manager.md): one libp2p host (given), a ledger on a store file, the mempool and its
 * intake (intake.ts), and the consensus era of the current manager set (era.ts: ACP and its reactor, block pool,
 * certifier, roles).
 *
 * Block flow: when the reactor asks for the value of a round, the server builds a ledger block at its final head
 * from the mempool (`buildBlock`: kind 'final', leaders = [itself], the head's ledger certificate as parent
 * certificate), broadcasts the body and proposes its header hash; with an empty mempool it proposes NOTHING (32
 * zero bytes, size 0), which loses to any real block (the largest proposal wins). Final decisions are applied in
 * the order ACP emits them: the empty block, NOTHING and tentative decisions change nothing; a decided hash is
 * looked up in the pool (fetched from the others when missing) and applied. A block that does not apply at the
 * head is skipped — every manager holds the same state and the same decision sequence, so every manager skips it.
 *
 * Certificates: ACP's commit certificate makes a block final here (blocks are applied with `certified: false`:
 * ACP's signatures are over its own sign-bytes). After applying, every manager signs the ledger certificate
 * message of the header (certifier.ts); a quorum of those is the block's ledger certificate, which light clients
 * check and the next block carries as its parent certificate (paying the verifiers).
 */
import { bytesEqual, type Ed25519KeyPair, toHex } from '../crypto/index.ts';
import type { AcpParams } from '../consensus/acp/params.ts';
import type { VrfImplementation } from '../consensus/crypto-suite.ts';
import type { AcpValue } from '../consensus/reactor.ts';
import type { Decide } from '../consensus/types.ts';
import { type Block, type Certificate, type GenesisConfig, genesisId, Ledger, LedgerError } from '../ledger/index.ts';
import { type Clock, type ClockTimer, type Host, type NetLogger, type PeerRef, systemClock } from '../net/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { buildBlock } from './build.ts';
import { ConsensusEra } from './era.ts';
import { ManagerError } from './errors.ts';
import { TxIntake } from './intake.ts';
import { Mempool, type MempoolOptions } from './mempool.ts';
import type { RoleEntry } from './roles.ts';
import { encodeHead, type Head, HEAD_METHOD } from './rpc.ts';

/** Heights of block bodies kept below the head: a stale proposal can still be decided a few rounds later. */
const KEEP_HEIGHTS = 64n;

/**
 * How long after applying a block a proposer waits for that block's ledger certificate before building on it
 * without one (the certificate pays the block's verifiers; on loopback it takes a few milliseconds).
 */
const CERT_WAIT_MS = 100;

/** The value proposed with an empty mempool: decided, it changes nothing. */
export const NOTHING = new Uint8Array(32);

export interface ManagerServerOptions {
  /** A host built with this manager's node key; started before the server. */
  readonly host: Host;
  /** The node key: its public key must be genesis manager `index`'s; it also signs for ACP. */
  readonly nodeKey: Ed25519KeyPair;
  /** The 32-byte seed of `nodeKey` (ACP's VRF secret). */
  readonly seed: Uint8Array;
  readonly index: number;
  /** Index → member's peer, in the genesis manager order. */
  readonly peers: readonly PeerRef[];
  readonly genesis: GenesisConfig;
  /** A path for a new store file (a restart from an existing store is not supported yet). */
  readonly storePath: string;
  readonly vrf: VrfImplementation;
  readonly acpParams?: AcpParams;
  readonly clock?: Clock;
  readonly logger?: NetLogger;
  readonly mempool?: MempoolOptions;
  /** Heartbeats between members and the silence after which the standby takes a role over (roles.ts). */
  readonly roles?: { readonly heartbeatMs?: number; readonly downAfterMs?: number };
}

export interface ManagerStats {
  readonly applied: number;
  readonly skipped: number;
  readonly fetched: number;
  /** Final decisions seen (every kind of value). */
  readonly finals: number;
  /** Blocks this manager built and proposed. */
  readonly proposed: number;
}

export class ManagerServer {
  readonly #o: ManagerServerOptions;
  readonly #clock: Clock;
  readonly #store: Store;
  readonly #ledger: Ledger;
  readonly mempool: Mempool;
  readonly #intake: TxIntake;
  #era: ConsensusEra;
  /** When the head block was applied here (its certificate is awaited for CERT_WAIT_MS). */
  #appliedAt = 0;
  #headBlock: Block | undefined;
  #certTimer: ClockTimer | undefined;
  readonly #queue: Decide[] = [];
  #pumping = false;
  #retry: ClockTimer | undefined;
  /** The last value built, and the (head, mempool version) it was built for. */
  #last: { readonly key: string; readonly value: AcpValue } | undefined;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #stateRoot: Uint8Array;
  #applied = 0;
  #skipped = 0;
  #fetched = 0;
  #finals = 0;
  #misses = 0;
  #proposed = 0;

  constructor(options: ManagerServerOptions) {
    const { genesis, index, nodeKey } = options;
    const me = genesis.managers[index];
    if (me === undefined || !bytesEqual(me.key, nodeKey.publicKey.bytes)) {
      throw new ManagerError('BAD_CONFIG', `the node key is not genesis manager ${index}'s`);
    }
    if (options.peers.length !== genesis.managers.length || options.peers[index]?.id !== options.host.id) {
      throw new ManagerError('BAD_CONFIG', 'peers must list every genesis manager, this host at its index');
    }
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#store = openStore(options.storePath);
    try {
      this.#ledger = Ledger.create(this.#store, genesis);
    } catch (error) {
      this.#store.close();
      throw error;
    }
    this.#stateRoot = this.#store.root(this.#store.head());
    const chainId = genesisId(genesis);
    this.mempool = new Mempool(options.mempool);
    this.#intake = new TxIntake({
      rpc: options.host.rpc,
      mempool: this.mempool,
      ledger: this.#ledger,
      time: () => this.#time(),
      members: () => this.#era.peers,
      logger: options.logger,
    });
    this.#era = new ConsensusEra({
      host: options.host,
      nodeKey,
      seed: options.seed,
      members: genesis.managers.map((m, i) => ({ peer: options.peers[i]!, key: m.key })),
      chainId,
      acpGenesis: { id: chainId, seed: genesis.rs0 },
      vrf: options.vrf,
      acpParams: options.acpParams,
      clock: this.#clock,
      logger: options.logger,
      roles: options.roles,
      nextValue: () => this.#nextValue(),
      onDecide: (d) => this.#onDecide(d),
      onCertified: (_height, hash) => {
        if (bytesEqual(hash, this.#ledger.headHash)) this.#era.refreshValue();
      },
    });
  }

  get ledger(): Ledger {
    return this.#ledger;
  }

  start(): void {
    if (this.#state !== 'new') throw new ManagerError('BAD_CONFIG', 'a manager server is started once');
    this.#state = 'running';
    this.#o.host.rpc.handle(HEAD_METHOD, async () => encodeHead(this.head()));
    this.#intake.start();
    this.#era.start();
  }

  /** Stops consensus and the methods, and closes the store (the host is the caller's). */
  stop(): void {
    if (this.#state === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    if (this.#certTimer !== undefined) this.#clock.clearTimeout(this.#certTimer);
    if (wasRunning) {
      this.#era.stop();
      this.#intake.stop();
      this.#o.host.rpc.unhandle(HEAD_METHOD);
    }
    this.#store.close();
  }

  head(): Head {
    const chain = this.#ledger.finalView().chain();
    return {
      height: chain.height,
      hash: this.#ledger.headHash,
      stateRoot: this.#stateRoot,
      mempool: BigInt(this.mempool.size),
    };
  }

  /** The last block applied here (undefined at genesis). */
  headBlock(): Block | undefined {
    return this.#headBlock;
  }

  /** This member's view of who holds each of the six roles. */
  roles(): readonly RoleEntry[] {
    return this.#era.roles();
  }

  /** The ledger certificate of a block applied here, once a quorum of members signed it. */
  certificate(hash: Uint8Array): Certificate | undefined {
    return this.#era.certificate(hash);
  }

  /** Admits a transaction as if a client submitted it (hash, or a typed ManagerError). */
  submit(tx: Uint8Array): Uint8Array {
    return this.#intake.submit(tx);
  }

  stats(): ManagerStats {
    return { applied: this.#applied, skipped: this.#skipped, fetched: this.#fetched, finals: this.#finals, proposed: this.#proposed };
  }

  #time(): bigint {
    const now = BigInt(Math.floor(this.#clock.now()));
    const last = this.#ledger.finalView().chain().lastTime;
    return now > last ? now : last;
  }

  /** The block this manager proposes: as many pooled transactions as apply at the head, within the limit. */
  #nextValue(): AcpValue | undefined {
    // Decided blocks not applied yet: a block built now would extend a head that is about to change.
    if (this.#queue.length > 0) return undefined;
    if (this.#state !== 'running' || this.mempool.size === 0) return { valueHash: NOTHING, size: 0 };
    const parentCertificate = this.#era.certificate(this.#ledger.headHash);
    if (parentCertificate === undefined && this.#applied > 0) {
      const waited = this.#clock.now() - this.#appliedAt;
      if (waited < CERT_WAIT_MS) {
        // The head's certificate is on its way: give it a moment so the block pays the head's verifiers.
        this.#certTimer ??= this.#clock.setTimeout(() => {
          this.#certTimer = undefined;
          this.#era.refreshValue();
        }, CERT_WAIT_MS - waited);
        return undefined;
      }
    }
    // Nothing changed since the last build (same head, certificate and pool): propose the same block again.
    const key = `${toHex(this.#ledger.headHash)}/${parentCertificate === undefined ? 0 : 1}/${this.mempool.version}`;
    if (this.#last?.key !== key) {
      const block = buildBlock(
        this.#ledger,
        this.mempool,
        this.#o.nodeKey.publicKey.bytes,
        this.#time(),
        parentCertificate ?? [],
        this.#o.logger,
      );
      if (block === undefined) {
        this.#last = { key, value: { valueHash: NOTHING, size: 0 } };
      } else {
        this.#proposed += 1;
        const size = block.txs.reduce((n, tx) => n + tx.length, 0);
        this.#last = { key, value: { valueHash: this.#era.broadcast(block), size } };
      }
    }
    return this.#last.value;
  }

  #onDecide(d: Decide): void {
    if (d.decision !== 'final') return;
    this.#finals += 1;
    this.#queue.push(d);
    this.#kick();
  }

  #kick(): void {
    this.#pump().catch((err: unknown) => this.#o.logger?.warn({ err }, 'applying decided blocks failed'));
  }

  /** Applies the queued final decisions in order; waits (fetching) for a missing body. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#state === 'running' && this.#queue.length > 0) {
        const d = this.#queue[0]!;
        const hash = d.valueHash;
        if (hash !== undefined && !bytesEqual(hash, NOTHING)) {
          let block = this.#era.body(hash);
          if (block === undefined) {
            block = await this.#era.fetchBody(hash);
            if (this.#state !== 'running') return;
            if (block === undefined) {
              // No member answered with it yet: try again shortly (ACP decided it, so a quorum saw the proposal).
              // Skipping instead would let this manager's state depart from the others'.
              this.#misses += 1;
              if (this.#misses % 25 === 0) {
                this.#o.logger?.warn({ acpHeight: d.height, block: toHex(hash), tries: this.#misses }, 'decided block body unavailable');
              }
              this.#retry = this.#clock.setTimeout(() => {
                this.#retry = undefined;
                this.#kick();
              }, 200);
              return;
            }
            this.#fetched += 1;
            this.#misses = 0;
          }
          this.#apply(block, d);
        }
        this.#queue.shift();
        if (this.#queue.length === 0) this.#era.refreshValue();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #apply(block: Block, d: Decide): void {
    try {
      const result = this.#ledger.apply(block, { certified: false });
      this.#stateRoot = result.stateRoot;
      this.#applied += 1;
      this.#appliedAt = this.#clock.now();
      this.#headBlock = block;
      this.#era.applied(block.header.height, result.hash);
      for (const outcome of result.outcomes) this.mempool.remove(outcome.hash);
      this.mempool.prune(this.#ledger.finalView());
      // Bodies of older heights may still be decided (and skipped) a few rounds later: keep a margin.
      this.#era.pruneBodiesBelow(block.header.height - KEEP_HEIGHTS);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      this.#skipped += 1;
      this.#o.logger?.debug({ err: error, acpHeight: d.height, block: toHex(d.valueHash!) }, 'decided block skipped');
    }
  }
}
