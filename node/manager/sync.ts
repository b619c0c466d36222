/**
 * Block transfer between managers and state sync (SPEC §7: "a snapshot of the authenticated state at a final
 * block, checked against its root, then the blocks since").
 *
 * `manager/blocks` serves stored final blocks by height, each with a proof of the managers record after it (at
 * the block's state version) and its transactions' outcomes. `stateSync` brings an empty manager to a member's
 * final state: it pins the member's snapshot (height S, root), follows the headers 1..S from the genesis it
 * trusts with the ledger's LightClient (each certificate against the manager set of the state before it, the set
 * taken from the proofs, recovery certificates included), checks that S's verified state root is the snapshot's,
 * copies the snapshot (snapshot.ts checks the root again), and stores the block history. What is verified: every
 * header and certificate, every body (its header hash is a verified one), the state. What is taken on the
 * member's word: the outcomes (error codes) of the transactions of blocks before S, which only the explorer shows.
 * The blocks after S arrive through `catchUp` (certificates checked by the ledger) and consensus.
 */
import { bytesEqual, toHex } from '../crypto/index.ts';
import {
  type Block,
  decodeBlock,
  type GenesisConfig,
  genesisStateRoot,
  headerHash,
  LedgerError,
  LightClient,
  META_PATHS,
  stateKey,
  type TxOutcome,
  txHash,
} from '../ledger/index.ts';
import { NetError, type NetLogger, type PeerRef, type Rpc } from '../net/index.ts';
import { encodeProof, type Store } from '../store/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import type { ChainStore } from './chain-store.ts';
import { ManagerError } from './errors.ts';
import { fetchSnapshot } from './snapshot.ts';

export const BLOCKS_METHOD = 'manager/blocks';
/** Blocks per `manager/blocks` reply. */
export const BLOCKS_PER_REPLY = 64;

const requestSchema = s.struct({ from: s.u64(), to: s.u64() });
const replySchema = s.struct({
  head: s.u64(),
  blocks: s.array(
    s.struct({
      block: s.bytes({ max: 8 << 20 }),
      managers: s.bytes({ max: 64 << 10 }),
      outcomes: s.array(s.struct({ code: s.text({ max: 64 }), message: s.text({ max: 1024 }) }), { max: 100_000 }),
    }),
    { max: BLOCKS_PER_REPLY },
  ),
});

/** A block as a member served it: the body with its certificate, the managers proof after it, outcomes. */
export interface ServedBlock {
  readonly block: Block;
  readonly managersProof: Uint8Array;
  readonly outcomes: readonly TxOutcome[];
}

/** Serves `manager/blocks` from the chain store and the state store (proofs at each block's version). */
export function serveBlocks(rpc: Rpc, chain: () => ChainStore | undefined, store: () => Store | undefined, isMember: (peer: string) => boolean): () => void {
  rpc.handle(BLOCKS_METHOD, async (body, ctx) => {
    if (!isMember(ctx.peer)) throw new NetError('UNAUTHORIZED', 'blocks are served to managers');
    const c = chain();
    const st = store();
    if (c === undefined || st === undefined) throw new NetError('UNAVAILABLE', 'this manager is syncing');
    let req: { from: bigint; to: bigint };
    try {
      req = requestSchema.parse(decodeCbor(body, { maxSize: 64 }), 'blocks request');
    } catch (cause) {
      throw new NetError('BAD_REQUEST', (cause as Error).message);
    }
    const head = c.head().height;
    const to = [req.to, head, req.from + BigInt(BLOCKS_PER_REPLY) - 1n].reduce((a, b) => (a < b ? a : b));
    const blocks = [];
    for (const stored of req.from < 1n || to < req.from ? [] : c.range(req.from, to)) {
      const version = stored.stateVersion;
      if (version === undefined) break; // history copied without versions: served by the members that hold it
      const txs = decodeBlock(stored.bytes).txs;
      const outcomes = txs.map((tx) => {
        const row = c.tx(txHash(tx));
        return { code: row?.code ?? '', message: row?.message ?? '' };
      });
      blocks.push({ block: stored.bytes, managers: encodeProof(st.prove(stateKey(META_PATHS.managers), version)), outcomes });
    }
    return encodeCbor({ head, blocks });
  });
  return () => rpc.unhandle(BLOCKS_METHOD);
}

/** Blocks [from, to] (at most BLOCKS_PER_REPLY) and the member's head height; shapes checked, nothing trusted. */
export async function fetchBlocks(
  rpc: Rpc,
  peer: PeerRef,
  from: bigint,
  to: bigint,
  timeoutMs = 10_000,
): Promise<{ head: bigint; blocks: ServedBlock[] }> {
  const reply = await rpc.request(peer, BLOCKS_METHOD, encodeCbor({ from, to }), { timeoutMs });
  let parsed;
  try {
    parsed = replySchema.parse(decodeCbor(reply, { maxSize: 64 << 20 }), 'blocks reply');
  } catch (cause) {
    throw new ManagerError('BAD_REPLY', `blocks: ${(cause as Error).message}`, { cause });
  }
  const blocks = parsed.blocks.map((b, i): ServedBlock => {
    let block: Block;
    try {
      block = decodeBlock(b.block);
    } catch (cause) {
      throw new ManagerError('BAD_REPLY', `blocks[${i}]: ${(cause as Error).message}`, { cause });
    }
    if (block.header.height !== from + BigInt(i)) throw new ManagerError('BAD_REPLY', `blocks[${i}] is not height ${from + BigInt(i)}`);
    if (b.outcomes.length !== block.txs.length) throw new ManagerError('BAD_REPLY', `blocks[${i}]: one outcome per transaction`);
    const outcomes = block.txs.map((tx, k): TxOutcome => {
      const o = b.outcomes[k]!;
      return o.code === '' ? { hash: txHash(tx), ok: true, fee: 0n } : { hash: txHash(tx), ok: false, fee: 0n, code: o.code as never, message: o.message };
    });
    return { block, managersProof: b.managers, outcomes };
  });
  return { head: parsed.head, blocks };
}

export interface StateSyncOptions {
  readonly rpc: Rpc;
  /** Members to sync from, tried in turn. */
  readonly peers: readonly PeerRef[];
  readonly genesis: GenesisConfig;
  /** Empty stores to fill. */
  readonly store: Store;
  readonly chain: ChainStore;
  /** How long to wait for the snapshot block's certificate (it is gathered just after the block). */
  readonly certificateWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: NetLogger | undefined;
}

export interface SyncedState {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly peer: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Fills the empty stores from the first member that gives a verifiable state; SYNC_FAILED when none does. */
export async function stateSync(o: StateSyncOptions): Promise<SyncedState> {
  const problems: string[] = [];
  for (const peer of o.peers) {
    try {
      return await syncFrom(o, peer);
    } catch (error) {
      if (!(error instanceof ManagerError || error instanceof LedgerError || error instanceof NetError)) throw error;
      if (o.store.head() !== 0 || o.chain.head().height !== 0n) {
        throw new ManagerError('SYNC_FAILED', `state sync from ${peer.id} failed after writing (${error.message}); start again on empty stores`, {
          cause: error,
        });
      }
      problems.push(`${peer.id}: ${error.code} ${error.message}`);
      o.logger?.warn({ err: error, peer: peer.id }, 'state sync from a member failed; trying the next');
    }
  }
  throw new ManagerError('SYNC_FAILED', `no member gave a verifiable state: ${problems.join('; ') || 'no members'}`);
}

async function syncFrom(o: StateSyncOptions, peer: PeerRef): Promise<SyncedState> {
  const light = LightClient.fromGenesis(o.genesis, genesisStateRoot(o.genesis));
  const history: ServedBlock[] = [];
  const sleep = o.sleep ?? defaultSleep;
  const follow = async (target: bigint, root: Uint8Array): Promise<void> => {
    let waited = 0;
    while (light.height < target) {
      const { blocks } = await fetchBlocks(o.rpc, peer, light.height + 1n, target);
      if (blocks.length === 0) throw new ManagerError('SYNC_FAILED', `the member serves no block ${light.height + 1n}`);
      for (const served of blocks) {
        const { block } = served;
        if (block.certificate.length === 0 && block.header.height === target && waited < (o.certificateWaitMs ?? 5_000)) {
          // The snapshot block's certificate is still being gathered: ask again shortly.
          await sleep(100);
          waited += 100;
          break;
        }
        light.follow(block.header, block.certificate, { txs: block.txs, managers: served.managersProof });
        history.push(served);
      }
    }
    if (!bytesEqual(light.stateRoot, root)) {
      throw new ManagerError('BAD_SNAPSHOT', `the snapshot root ${toHex(root)} is not block ${target}'s verified state root`);
    }
  };
  const info = await fetchSnapshot(o.rpc, peer, o.store, follow);
  const last = history.length - 1;
  for (const [i, served] of history.entries()) {
    o.chain.append(served.block, { outcomes: served.outcomes, ...(i === last ? { version: o.store.head() } : {}) });
  }
  const hash = last < 0 ? o.chain.head().hash : headerHash(history[last]!.block.header);
  o.logger?.info({ peer: peer.id, height: info.height, entries: info.entries }, 'state synced from a member');
  return { height: info.height, hash, peer: peer.id };
}
