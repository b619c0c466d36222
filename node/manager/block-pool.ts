/**
 * Proposed ledger blocks by hash, and their transport between managers. A block is named by its header hash
 * (`headerHash`, the hash the ledger chains by prevHash) — that is the `valueHash` a manager proposes to ACP, so a
 * decision names exactly one block body. The proposer broadcasts the body on `manager/block` (fire-and-forget);
 * a manager that decided a hash it has no body for asks the others on `manager/block-get`. Only ring members may
 * push or fetch; a pushed body must decode (`decodeBlock`), be of this chain and within the block size bound.
 * Bodies are kept until the ledger passes their height (`pruneBelow`) or `maxBlocks` evicts the oldest.
 */
import { bytesEqual, toHex } from '../crypto/index.ts';
import { type Block, decodeBlock, encodeBlock, headerHash } from '../ledger/index.ts';
import { NetError, type NetLogger, type PeerRef, type RequestContext, type Rpc } from '../net/index.ts';

export const BLOCK_METHOD = 'manager/block';
export const BLOCK_GET_METHOD = 'manager/block-get';

export interface BlockPoolOptions {
  readonly rpc: Rpc;
  /** The ring members' peers (index → peer); this host is one of them. */
  readonly peers: readonly PeerRef[];
  readonly chainId: Uint8Array;
  /** Largest encoded block accepted (default 4 MiB). */
  readonly maxBlockBytes?: number;
  /** Bodies kept at most (default 512). */
  readonly maxBlocks?: number;
  readonly timeoutMs?: number;
  readonly logger?: NetLogger;
}

interface Entry {
  readonly block: Block;
  readonly bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class BlockPool {
  readonly #o: BlockPoolOptions;
  readonly #members: Set<string>;
  readonly #blocks = new Map<string, Entry>();
  #running = false;

  constructor(options: BlockPoolOptions) {
    this.#o = options;
    this.#members = new Set(options.peers.map((p) => p.id));
  }

  get size(): number {
    return this.#blocks.size;
  }

  start(): void {
    this.#running = true;
    this.#o.rpc.handle(BLOCK_METHOD, (body, ctx) => this.#onBlock(body, ctx));
    this.#o.rpc.handle(BLOCK_GET_METHOD, (body, ctx) => this.#onGet(body, ctx));
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#o.rpc.unhandle(BLOCK_METHOD);
    this.#o.rpc.unhandle(BLOCK_GET_METHOD);
  }

  get(hash: Uint8Array): Block | undefined {
    return this.#blocks.get(toHex(hash))?.block;
  }

  /** Stores a block (certificate stripped: it is not part of the hash); returns its hash. */
  add(block: Block, bytes?: Uint8Array): Uint8Array {
    const hash = headerHash(block.header);
    const hex = toHex(hash);
    if (!this.#blocks.has(hex)) {
      const plain = block.certificate.length === 0 ? block : { ...block, certificate: [] };
      this.#blocks.set(hex, { block: plain, bytes: bytes ?? encodeBlock(plain) });
      const max = this.#o.maxBlocks ?? 512;
      while (this.#blocks.size > max) this.#blocks.delete(this.#blocks.keys().next().value!);
    }
    return hash;
  }

  /** Stores a block and sends its body to every other member (failures are logged, not thrown). */
  broadcast(block: Block): Uint8Array {
    const hash = this.add(block);
    const { bytes } = this.#blocks.get(toHex(hash))!;
    for (const peer of this.#o.peers) {
      if (peer.id === this.#o.rpc.self.id) continue;
      this.#o.rpc.request(peer, BLOCK_METHOD, bytes, { timeoutMs: this.#o.timeoutMs ?? 2_000 }).catch((err: unknown) => {
        if (this.#running) this.#o.logger?.debug({ err, peer: peer.id }, 'block body not delivered');
      });
    }
    return hash;
  }

  /** Asks the other members in turn for the body of `hash`; undefined when none has it. */
  async fetch(hash: Uint8Array): Promise<Block | undefined> {
    const have = this.get(hash);
    if (have !== undefined) return have;
    for (const peer of this.#o.peers) {
      if (peer.id === this.#o.rpc.self.id || !this.#running) continue;
      try {
        const bytes = await this.#o.rpc.request(peer, BLOCK_GET_METHOD, hash, { timeoutMs: this.#o.timeoutMs ?? 2_000 });
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

  /** Forgets the bodies of blocks at or below `height`. */
  pruneBelow(height: bigint): void {
    for (const [hex, e] of this.#blocks) if (e.block.header.height <= height) this.#blocks.delete(hex);
  }

  #decode(bytes: Uint8Array): Block {
    const block = decodeBlock(bytes, this.#o.maxBlockBytes ?? 4 << 20);
    if (!bytesEqual(block.header.chain, this.#o.chainId)) throw new NetError('BAD_REQUEST', 'block of another chain');
    return block;
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
    return EMPTY;
  }

  async #onGet(body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    this.#member(ctx);
    if (body.length !== 32) throw new NetError('BAD_REQUEST', 'expected a 32-byte block hash');
    return this.#blocks.get(toHex(body))?.bytes ?? EMPTY;
  }
}
