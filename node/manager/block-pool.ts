/**
 * Proposed ledger blocks by hash, and their transport between managers. A block is named by its header hash
 * (`headerHash`, the hash the ledger chains by prevHash) — that is the `valueHash` a manager proposes to ACP, so a
 * decision names exactly one block body. Only ring members may push or fetch.
 *
 * The proposer pushes a compact body on `manager/block-compact` (compact-block.ts: the block without its
 * transactions, plus their hashes; fire-and-forget): every transaction was gossiped to every member before it
 * could be proposed, so a member rebuilds the block from its mempool (`pooled`) instead of receiving each
 * transaction again from every proposer. A compact body whose transactions are not all pooled yet (gossip in
 * flight, or evicted) waits aside (the last `maxCompact`) and is rebuilt when the block is asked for; a manager
 * that decided a hash it has no whole body for asks the others for the full encoding on `manager/block-get`, so
 * correctness never depends on the mempool. `manager/block` still takes a pushed full body (a member of an older
 * release during a rolling upgrade). Bodies are kept until the ledger passes their height (`pruneBelow`) or
 * `maxBlocks` evicts the oldest; a body's full encoding is only made when a member asks for it.
 */
import { bytesEqual, toHex } from '../crypto/index.ts';
import { type Block, decodeBlock, encodeBlock, headerHash } from '../ledger/index.ts';
import { NetError, type NetLogger, type PeerRef, type RequestContext, type Rpc } from '../net/index.ts';
import { type CompactBlock, decodeCompactBlock, encodeCompactBlock, rebuildBlock } from './compact-block.ts';

export const BLOCK_METHOD = 'manager/block';
export const BLOCK_COMPACT_METHOD = 'manager/block-compact';
export const BLOCK_GET_METHOD = 'manager/block-get';

export interface BlockPoolOptions {
  readonly rpc: Rpc;
  /** The ring members' peers (index → peer); this host is one of them. */
  readonly peers: readonly PeerRef[];
  readonly chainId: Uint8Array;
  /** The encoded transaction of this hash in the mempool (the pooled array itself), if pooled; default none. */
  readonly pooled?: (hash: Uint8Array) => Uint8Array | undefined;
  /** Largest encoded block accepted (default 4 MiB). */
  readonly maxBlockBytes?: number;
  /** Bodies kept at most (default 512). */
  readonly maxBlocks?: number;
  /** A member's proposed body arrived (whole, rebuilt or still waiting for transactions). */
  readonly arrived?: (block: Block) => void;
  /** Compact bodies kept waiting for their transactions at most (default 64). */
  readonly maxCompact?: number;
  readonly timeoutMs?: number;
  readonly logger?: NetLogger;
}

interface Entry {
  readonly block: Block;
  /** The full encoding: as received, or made at the first `manager/block-get`. */
  bytes: Uint8Array | undefined;
}

const EMPTY = new Uint8Array(0);
const nothingPooled = (): undefined => undefined;

/** The block as pooled: the certificate is not part of the hash (it is added after consensus). */
const plain = (block: Block): Block => (block.certificate.length === 0 ? block : { ...block, certificate: [] });

export class BlockPool {
  readonly #o: BlockPoolOptions;
  readonly #members: Set<string>;
  readonly #blocks = new Map<string, Entry>();
  /** Compact bodies whose transactions were not all pooled when they arrived. */
  readonly #waiting = new Map<string, CompactBlock>();
  #running = false;

  constructor(options: BlockPoolOptions) {
    this.#o = options;
    this.#members = new Set(options.peers.map((p) => p.id));
  }

  /** Whole bodies held. */
  get size(): number {
    return this.#blocks.size;
  }

  /** Compact bodies waiting for transactions. */
  get waiting(): number {
    return this.#waiting.size;
  }

  start(): void {
    this.#running = true;
    this.#o.rpc.handle(BLOCK_METHOD, (body, ctx) => this.#onBlock(body, ctx));
    this.#o.rpc.handle(BLOCK_COMPACT_METHOD, (body, ctx) => this.#onCompact(body, ctx));
    this.#o.rpc.handle(BLOCK_GET_METHOD, (body, ctx) => this.#onGet(body, ctx));
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#o.rpc.unhandle(BLOCK_METHOD);
    this.#o.rpc.unhandle(BLOCK_COMPACT_METHOD);
    this.#o.rpc.unhandle(BLOCK_GET_METHOD);
  }

  /** The body of `hash`: held, or rebuilt now from a waiting compact body whose transactions are all pooled. */
  get(hash: Uint8Array): Block | undefined {
    const hex = toHex(hash);
    return this.#blocks.get(hex)?.block ?? this.#rebuild(hex);
  }

  /** Stores a block (certificate stripped: it is not part of the hash); returns its hash. */
  add(block: Block, bytes?: Uint8Array): Uint8Array {
    const hash = headerHash(block.header);
    const hex = toHex(hash);
    if (!this.#blocks.has(hex)) this.#store(hex, plain(block), bytes);
    return hash;
  }

  /** Stores a block and sends its compact body to every other member (failures are logged, not thrown). */
  broadcast(block: Block): Uint8Array {
    const hash = this.add(block);
    const body = encodeCompactBlock(this.#blocks.get(toHex(hash))!.block);
    for (const peer of this.#o.peers) {
      if (peer.id === this.#o.rpc.self.id) continue;
      this.#o.rpc.request(peer, BLOCK_COMPACT_METHOD, body, { timeoutMs: this.#timeout() }).catch((err: unknown) => {
        if (this.#running) this.#o.logger?.debug({ err, peer: peer.id }, 'compact block not delivered');
      });
    }
    return hash;
  }

  /** The body of `hash` from this pool (rebuilt if it can be), else the full body from the other members in turn. */
  async fetch(hash: Uint8Array): Promise<Block | undefined> {
    const have = this.get(hash);
    if (have !== undefined) return have;
    for (const peer of this.#o.peers) {
      if (peer.id === this.#o.rpc.self.id || !this.#running) continue;
      try {
        const bytes = await this.#o.rpc.request(peer, BLOCK_GET_METHOD, hash, { timeoutMs: this.#timeout() });
        if (bytes.length === 0) continue;
        const block = this.#decode(bytes);
        if (!bytesEqual(headerHash(block.header), hash)) continue;
        this.add(block, bytes);
        return this.get(hash);
      } catch (err) {
        this.#o.logger?.debug({ err, peer: peer.id }, 'block fetch failed');
      }
    }
    return undefined;
  }

  /** Whether a body built on `prevHash` (by `proposer`, when given) is here, whole or waiting for transactions. */
  proposedOn(prevHash: Uint8Array, proposer?: Uint8Array): boolean {
    const on = (h: Block['header']) => bytesEqual(h.prevHash, prevHash) && (proposer === undefined || bytesEqual(h.proposer, proposer));
    for (const e of this.#blocks.values()) if (on(e.block.header)) return true;
    for (const c of this.#waiting.values()) if (on(c.shell.header)) return true;
    return false;
  }

  /** Forgets the bodies, whole or compact, of blocks at or below `height`. */
  pruneBelow(height: bigint): void {
    for (const [hex, e] of this.#blocks) if (e.block.header.height <= height) this.#blocks.delete(hex);
    for (const [hex, c] of this.#waiting) if (c.shell.header.height <= height) this.#waiting.delete(hex);
  }

  #timeout(): number {
    return this.#o.timeoutMs ?? 2_000;
  }

  #store(hex: string, block: Block, bytes: Uint8Array | undefined): void {
    this.#waiting.delete(hex);
    this.#blocks.set(hex, { block, bytes });
    const max = this.#o.maxBlocks ?? 512;
    while (this.#blocks.size > max) this.#blocks.delete(this.#blocks.keys().next().value!);
  }

  #rebuild(hex: string): Block | undefined {
    const compact = this.#waiting.get(hex);
    if (compact === undefined) return undefined;
    const block = rebuildBlock(compact, this.#o.pooled ?? nothingPooled);
    if (block !== undefined) this.#store(hex, block, undefined);
    return block;
  }

  #decode(bytes: Uint8Array): Block {
    const block = decodeBlock(bytes, this.#maxBytes());
    this.#ownChain(block);
    return block;
  }

  #maxBytes(): number {
    return this.#o.maxBlockBytes ?? 4 << 20;
  }

  #ownChain(block: Block): void {
    if (!bytesEqual(block.header.chain, this.#o.chainId)) throw new NetError('BAD_REQUEST', 'block of another chain');
  }

  #member(ctx: RequestContext): void {
    if (!this.#running) throw new NetError('UNAVAILABLE', 'the block pool is stopped');
    if (!this.#members.has(ctx.peer) || ctx.peer === this.#o.rpc.self.id) {
      throw new NetError('UNAUTHORIZED', 'not a member of this ring');
    }
  }

  async #onBlock(body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    this.#member(ctx);
    let block: Block;
    try {
      block = this.#decode(body);
    } catch (cause) {
      throw cause instanceof NetError ? cause : new NetError('BAD_REQUEST', (cause as Error).message);
    }
    this.add(block, block.certificate.length === 0 ? body : undefined);
    this.#o.arrived?.(block);
    return EMPTY;
  }

  async #onCompact(body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    this.#member(ctx);
    const compact = decodeCompactBlock(body, this.#maxBytes());
    this.#ownChain(compact.shell);
    const hex = toHex(headerHash(compact.shell.header));
    if (this.#blocks.has(hex) || this.#waiting.has(hex)) return EMPTY;
    const shell = plain(compact.shell);
    const block = rebuildBlock({ ...compact, shell }, this.#o.pooled ?? nothingPooled);
    if (block !== undefined) {
      this.#store(hex, block, undefined);
      this.#o.arrived?.(block);
      return EMPTY;
    }
    this.#waiting.set(hex, { ...compact, shell });
    const max = this.#o.maxCompact ?? 64;
    while (this.#waiting.size > max) this.#waiting.delete(this.#waiting.keys().next().value!);
    this.#o.arrived?.(shell);
    this.#o.logger?.debug({ block: hex, height: shell.header.height }, 'compact block waits for pooled transactions');
    return EMPTY;
  }

  async #onGet(body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    this.#member(ctx);
    if (body.length !== 32) throw new NetError('BAD_REQUEST', 'expected a 32-byte block hash');
    // A compact body waiting here may be complete by now.
    if (this.get(body) === undefined) return EMPTY;
    const entry = this.#blocks.get(toHex(body));
    if (entry === undefined) return EMPTY;
    entry.bytes ??= encodeBlock(entry.block);
    return entry.bytes;
  }
}
