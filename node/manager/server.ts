/**
 * A manager server (docs/manager.md): one libp2p host (given), a ledger on a store file, the ACP node and its
 * reactor, the block pool and the mempool.
 *
 * Transactions: a client's `manager/submit` is admitted to the mempool and forwarded once to every other member
 * (`manager/tx`). Block flow: when the reactor asks for the value of a height, the server builds a ledger block at
 * its final head from the mempool (`buildBlock`: kind 'final', leaders = [itself]), broadcasts the body and proposes its
 * header hash; with an empty mempool it proposes NOTHING (32 zero bytes, size 0), which loses to any real block
 * (the largest proposal wins). Final decisions are applied in the order ACP emits them: the empty block, NOTHING
 * and tentative decisions change nothing; a decided hash is looked up in the pool (fetched from the others when
 * missing) and applied. A block that does not apply at the head (typically: built on a head that was stale by
 * the time it was decided) is skipped — every manager holds the same state and the same decision sequence, so
 * every manager skips it; its transactions stay pooled and are proposed again.
 *
 * Certificates: ACP's commit certificate (a quorum of Ed25519 commits on the ACP block whose proposal carries
 * the ledger hash), checked by the AcpNode, is what makes a block final here. Its signatures are over ACP's commit
 * sign-bytes, not the ledger's `certificateMessage(headerHash)`, so it cannot be carried as a ledger Certificate:
 * blocks are applied with `certified: false`, `certificate` and `parentCertificate` stay empty (no verifiers'
 * share is paid). A ledger-format certificate is left for the next slice.
 */
import { bytesEqual, type Ed25519KeyPair, toHex } from '../crypto/index.ts';
import { AcpNode } from '../consensus/acp/node.ts';
import { type AcpParams, DEFAULT_ACP_PARAMS } from '../consensus/acp/params.ts';
import type { VrfImplementation } from '../consensus/crypto-suite.ts';
import { realSuite } from '../consensus/crypto-suite.ts';
import { type AcpValue, createReactor, type Reactor } from '../consensus/reactor.ts';
import type { Decide } from '../consensus/types.ts';
import { type Block, type GenesisConfig, genesisId, Ledger, LedgerError } from '../ledger/index.ts';
import { type Clock, type ClockTimer, type Host, NetError, type NetLogger, type PeerRef, systemClock } from '../net/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { BlockPool } from './block-pool.ts';
import { buildBlock } from './build.ts';
import { ManagerError } from './errors.ts';
import { Mempool, type MempoolOptions } from './mempool.ts';
import {
  encodeHead,
  encodeSubmitError,
  encodeSubmitOk,
  type Head,
  HEAD_METHOD,
  SUBMIT_METHOD,
  TX_GOSSIP_METHOD,
} from './rpc.ts';

/** Heights of block bodies kept below the head: a stale proposal can still be decided a few rounds later. */
const KEEP_HEIGHTS = 64n;

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
  readonly #pool: BlockPool;
  readonly mempool: Mempool;
  readonly #reactor: Reactor;
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
    this.#pool = new BlockPool({
      rpc: options.host.rpc,
      peers: options.peers,
      chainId,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const suite = realSuite(options.vrf);
    const members = genesis.managers.map((m) => ({ publicKey: m.key, reputation: 1 }));
    const node = new AcpNode({
      index,
      members,
      keys: suite.keysFromSeed(options.seed),
      suite,
      params: options.acpParams ?? DEFAULT_ACP_PARAMS,
      genesis: { id: chainId, seed: genesis.rs0 },
    });
    this.#reactor = createReactor({
      node,
      rpc: options.host.rpc,
      clock: this.#clock,
      peers: options.peers,
      nextValue: () => this.#nextValue(),
      onDecide: (d) => this.#onDecide(d),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  get ledger(): Ledger {
    return this.#ledger;
  }

  start(): void {
    if (this.#state !== 'new') throw new ManagerError('BAD_CONFIG', 'a manager server is started once');
    this.#state = 'running';
    const { rpc } = this.#o.host;
    rpc.handle(SUBMIT_METHOD, async (body) => this.#submit(body));
    rpc.handle(HEAD_METHOD, async () => encodeHead(this.head()));
    rpc.handle(TX_GOSSIP_METHOD, async (body, ctx) => this.#gossiped(body, ctx.peer));
    this.#pool.start();
    this.#reactor.start();
  }

  /** Stops consensus and the methods, and closes the store (the host is the caller's). */
  stop(): void {
    if (this.#state === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    if (wasRunning) {
      this.#reactor.stop();
      this.#pool.stop();
      this.#o.host.rpc.unhandle(SUBMIT_METHOD);
      this.#o.host.rpc.unhandle(HEAD_METHOD);
      this.#o.host.rpc.unhandle(TX_GOSSIP_METHOD);
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

  stats(): ManagerStats {
    return { applied: this.#applied, skipped: this.#skipped, fetched: this.#fetched, finals: this.#finals, proposed: this.#proposed };
  }

  #time(): bigint {
    const now = BigInt(Math.floor(this.#clock.now()));
    const last = this.#ledger.finalView().chain().lastTime;
    return now > last ? now : last;
  }

  #submit(body: Uint8Array): Uint8Array {
    try {
      const view = this.#ledger.finalView();
      const hash = this.mempool.submit(body, view, view.params(), this.#time());
      this.#gossip(body);
      return encodeSubmitOk(hash);
    } catch (error) {
      if (error instanceof ManagerError) return encodeSubmitError(error);
      throw error;
    }
  }

  /** One hop: a transaction a client submitted here goes to every other member's mempool, so any proposer has it. */
  #gossip(tx: Uint8Array): void {
    const { rpc } = this.#o.host;
    for (const peer of this.#o.peers) {
      if (peer.id === rpc.self.id) continue;
      rpc.request(peer, TX_GOSSIP_METHOD, tx, { timeoutMs: 2_000 }).catch((err: unknown) => {
        if (this.#state === 'running') this.#o.logger?.debug({ err, peer: peer.id }, 'transaction not gossiped');
      });
    }
  }

  #gossiped(tx: Uint8Array, from: string): Uint8Array {
    if (!this.#o.peers.some((p) => p.id === from) || from === this.#o.host.id) {
      throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    }
    try {
      const view = this.#ledger.finalView();
      this.mempool.submit(tx, view, view.params(), this.#time());
    } catch (error) {
      // Already pooled, or already applied here: nothing to do. Other refusals are the sender's problem.
      if (!(error instanceof ManagerError)) throw error;
    }
    return new Uint8Array(0);
  }

  /** The block this manager proposes: as many pooled transactions as apply at the head, within the limit. */
  #nextValue(): AcpValue | undefined {
    // Decided blocks not applied yet: a block built now would extend a head that is about to change.
    if (this.#queue.length > 0) return undefined;
    if (this.#state !== 'running' || this.mempool.size === 0) return { valueHash: NOTHING, size: 0 };
    // Nothing changed since the last build (same head, same pool): propose the same block again, unbuilt.
    const key = `${toHex(this.#ledger.headHash)}/${this.mempool.version}`;
    if (this.#last?.key !== key) {
      const block = buildBlock(this.#ledger, this.mempool, this.#o.nodeKey.publicKey.bytes, this.#time(), this.#o.logger);
      if (block === undefined) {
        this.#last = { key, value: { valueHash: NOTHING, size: 0 } };
      } else {
        this.#proposed += 1;
        const size = block.txs.reduce((n, tx) => n + tx.length, 0);
        this.#last = { key, value: { valueHash: this.#pool.broadcast(block), size } };
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
          let block = this.#pool.get(hash);
          if (block === undefined) {
            block = await this.#pool.fetch(hash);
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
        if (this.#queue.length === 0) this.#reactor.refreshValue();
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
      for (const outcome of result.outcomes) this.mempool.remove(outcome.hash);
      this.mempool.prune(this.#ledger.finalView());
      // Bodies of older heights may still be decided (and skipped) a few rounds later: keep a margin.
      this.#pool.pruneBelow(block.header.height - KEEP_HEIGHTS);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      this.#skipped += 1;
      this.#o.logger?.debug({ err: error, acpHeight: d.height, block: toHex(d.valueHash!) }, 'decided block skipped');
    }
  }
}
