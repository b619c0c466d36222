/**
 * One consensus era of a manager: everything that depends on the manager set — the ACP node and its reactor,
 * the block pool (members push and fetch bodies), the certifier (members sign ledger certificates) and the role
 * board (members' heartbeats). A reconfiguration (a new manager set, normal or by the recovery keys) ends the era
 * and the server starts the next one with the new members, anchored at the block that changed the set; the
 * ledger, its store, the chain store and the mempool outlive eras.
 */
import { concatBytes, type Ed25519KeyPair, sha256, utf8 } from '../crypto/index.ts';
import type { Anchor } from '../consensus/acp/chain.ts';
import { AcpNode } from '../consensus/acp/node.ts';
import { type AcpParams, DEFAULT_ACP_PARAMS } from '../consensus/acp/params.ts';
import { realSuite, type VrfImplementation } from '../consensus/crypto-suite.ts';
import { type AcpValue, createReactor, type Reactor } from '../consensus/reactor.ts';
import type { Decide, Hash } from '../consensus/types.ts';
import type { Block, Certificate, StateView } from '../ledger/index.ts';
import type { ChainStore } from './chain-store.ts';
import type { Clock, Host, NetLogger, PeerRef } from '../net/index.ts';
import { BlockPool } from './block-pool.ts';
import { Certifier, type EarlySignature } from './certifier.ts';
import { ManagerError } from './errors.ts';
import { RoleBoard, type RoleEntry } from './roles.ts';

export interface EraMember {
  readonly peer: PeerRef;
  /** The member's Ed25519 node key (its libp2p identity, ACP key and ledger manager key). */
  readonly key: Uint8Array;
}

export interface EraOptions {
  readonly host: Host;
  readonly nodeKey: Ed25519KeyPair;
  /** The 32-byte seed of `nodeKey` (ACP's VRF secret). */
  readonly seed: Uint8Array;
  /** The manager set of this era, in ledger order; this host is one of them. */
  readonly members: readonly EraMember[];
  readonly chainId: Uint8Array;
  /** Where ACP's chain of this era starts: its id (the genesis or the reconfiguring block) and RS. */
  readonly acpGenesis: { readonly id: Hash; readonly seed: Hash };
  readonly vrf: VrfImplementation;
  /** A mempool transaction's bytes by hash: the block pool rebuilds compact bodies from it. */
  readonly pooled?: ((hash: Uint8Array) => Uint8Array | undefined) | undefined;
  /** A member's proposed body arrived (the server's value may wait for one: turn.ts). */
  readonly arrived?: ((block: Block) => void) | undefined;
  readonly acpParams?: AcpParams | undefined;
  readonly keepHeights?: number | undefined;
  readonly clock: Clock;
  readonly logger?: NetLogger | undefined;
  readonly roles?: { readonly heartbeatMs?: number; readonly downAfterMs?: number } | undefined;
  /**
   * Rounds up to this height are followed without signing anything: this node may have voted in them before a
   * restart or a wipe, and a second, different vote would be an equivocation (docs/manager.md "Restart").
   */
  readonly silentThrough?: number | undefined;
  /** The last final ACP block of this era whose value the ledger applied (persisted): resume after it. */
  readonly anchor?: Anchor | undefined;
  readonly nextValue: (height: number) => AcpValue | undefined;
  readonly onDecide: (decide: Decide) => void;
  /** A block applied here gathered its ledger certificate. */
  readonly onCertified: (height: bigint, hash: Uint8Array, certificate: Certificate) => void;
  /** The block that installed this set, not yet certified: its certificate is gathered from `members`, the set before. */
  readonly handover?: { readonly height: bigint; readonly hash: Uint8Array; readonly members: readonly EraMember[] } | undefined;
  /** The previous era's held signatures (certifier.ts `earlySignatures`). */
  readonly early?: ReadonlyMap<string, readonly EarlySignature[]> | undefined;
}

export class ConsensusEra {
  readonly index: number;
  readonly members: readonly EraMember[];
  readonly #pool: BlockPool;
  readonly #certifier: Certifier;
  readonly #roles: RoleBoard;
  readonly #reactor: Reactor;
  readonly #node: AcpNode;
  #running = false;

  constructor(o: EraOptions) {
    const self = o.nodeKey.publicKey.bytes;
    this.index = o.members.findIndex((m) => Buffer.compare(Buffer.from(m.key), Buffer.from(self)) === 0);
    if (this.index < 0) throw new ManagerError('BAD_CONFIG', 'this node key is not in the manager set');
    if (o.members[this.index]!.peer.id !== o.host.id) {
      throw new ManagerError('BAD_CONFIG', 'the member entry of this node key is not this host');
    }
    this.members = o.members;
    const peers = o.members.map((m) => m.peer);
    const logger = o.logger === undefined ? {} : { logger: o.logger };
    const pooled = o.pooled === undefined ? {} : { pooled: o.pooled };
    const arrived = o.arrived === undefined ? {} : { arrived: o.arrived };
    this.#pool = new BlockPool({ rpc: o.host.rpc, peers, chainId: o.chainId, ...pooled, ...arrived, ...logger });
    this.#certifier = new Certifier({ rpc: o.host.rpc, nodeKey: o.nodeKey, members: o.members, onCertified: o.onCertified, handover: o.handover, early: o.early, ...logger });
    this.#roles = new RoleBoard({ rpc: o.host.rpc, clock: o.clock, peers, index: this.index, ...o.roles, ...logger });
    // Memoised: a restarted or replayed round re-checks the same proofs and signatures (pure functions).
    const suite = realSuite(o.vrf, { memoize: true });
    const node = new AcpNode({
      index: this.index,
      members: o.members.map((m) => ({ publicKey: m.key, reputation: 1 })),
      keys: suite.keysFromSeed(o.seed),
      suite,
      params: o.acpParams ?? DEFAULT_ACP_PARAMS,
      genesis: o.acpGenesis,
      ...(o.silentThrough === undefined ? {} : { silentThrough: o.silentThrough }),
      ...(o.anchor === undefined ? {} : { anchor: o.anchor }),
      ...(o.keepHeights === undefined ? {} : { keepHeights: o.keepHeights }),
    });
    this.#node = node;
    this.#reactor = createReactor({
      node,
      rpc: o.host.rpc,
      clock: o.clock,
      peers,
      nextValue: o.nextValue,
      onDecide: o.onDecide,
      ...logger,
    });
  }

  /** The ACP round this node is in. */
  get acpHeight(): number {
    return this.#node.height;
  }

  get peers(): readonly PeerRef[] {
    return this.members.map((m) => m.peer);
  }

  start(): void {
    this.#running = true;
    this.#pool.start();
    this.#certifier.start();
    this.#roles.start();
    this.#reactor.start();
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#reactor.stop();
    this.#certifier.stop();
    this.#roles.stop();
    this.#pool.stop();
  }

  refreshValue(): void {
    if (this.#running) this.#reactor.refreshValue();
  }

  roles(): readonly RoleEntry[] {
    return this.#roles.table();
  }

  certificate(hash: Uint8Array): Certificate | undefined {
    return this.#certifier.certificate(hash);
  }

  earlySignatures(): ReadonlyMap<string, readonly EarlySignature[]> {
    return this.#certifier.earlySignatures();
  }

  /** A block this manager applied: sign its ledger certificate and gather the members'. */
  applied(height: bigint, hash: Uint8Array): void {
    this.#certifier.applied(height, hash);
  }

  /** Stores a proposed body and pushes it to the members; its header hash. */
  broadcast(block: Block): Uint8Array {
    return this.#pool.broadcast(block);
  }

  body(hash: Uint8Array): Block | undefined {
    return this.#pool.get(hash);
  }

  /** Whether a proposed body on `prevHash` (by `proposer`, when given) is here. */
  proposedOn(prevHash: Uint8Array, proposer?: Uint8Array): boolean {
    return this.#pool.proposedOn(prevHash, proposer);
  }

  fetchBody(hash: Uint8Array): Promise<Block | undefined> {
    return this.#pool.fetch(hash);
  }

  pruneBodiesBelow(height: bigint): void {
    this.#pool.pruneBelow(height);
  }
}

/**
 * The block that installed the current manager set — the ledger records its height (`meta/previous-managers`,
 * written by every reconfigure that takes effect) — or the chain id while the genesis set rules. Every member
 * derives the same, synced members included (their chain store holds the history).
 */
export function eraStartOf(chain: ChainStore, view: StateView): Uint8Array {
  const height = view.previousManagers()?.height;
  if (height === undefined) return chain.chainId;
  const stored = chain.block(height);
  if (stored === undefined) throw new ManagerError('BAD_CONFIG', `the chain store lacks block ${height}, which installed the manager set`);
  return stored.hash;
}

/** Where an era's ACP chain starts: the genesis (RS(0)) for the first set, else the block that installed the set. */
export function eraGenesis(startId: Uint8Array, chainId: Uint8Array, rs0: Uint8Array): { id: Uint8Array; seed: Uint8Array } {
  if (Buffer.compare(Buffer.from(startId), Buffer.from(chainId)) === 0) return { id: chainId, seed: rs0 };
  return { id: startId, seed: sha256(concatBytes(utf8('AME-ACP-ERA-v1'), startId, rs0)) };
}
