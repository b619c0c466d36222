/**
 * Compact block relay (node/manager/block-pool.ts) between real libp2p hosts on 127.0.0.1: the proposer pushes a
 * block as its header and transaction hashes, a member rebuilds it from its own mempool (the pooled arrays
 * themselves) and serves its full encoding on `manager/block-get`; with a transaction missing the compact body
 * waits, is rebuilt once the transaction arrives, and otherwise `fetch` takes the full body from the proposer.
 * Bodies that do not match their header, garbage and pushes from a host outside the ring are typed refusals that
 * leave the pool as it was.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, utf8 } from '../../../../node/crypto/index.ts';
import { type Block, encodeBlock, encodeTx, headerHash, signAccountTx, txHash } from '../../../../node/ledger/index.ts';
import {
  BLOCK_COMPACT_METHOD,
  BLOCK_GET_METHOD,
  BLOCK_METHOD,
  BlockPool,
  buildBlock,
  encodeCompactBlock,
  Mempool,
} from '../../../../node/manager/index.ts';
import { createHost, type Host, NetError } from '../../../../node/net/index.ts';
import { ABC, accountKey, managerNode, RESERVE, TestChain } from '../../../support/ledger-chain.ts';
import { until } from '../../../support/ring-net.ts';

let hosts: Host[];
let a: Host;
let b: Host;
let outsider: Host;
let chain: TestChain;
/** The reserve's transfers with nonces 0…5 (a pool admits nonces ahead of the state). */
let txs: Uint8Array[];
const pools: BlockPool[] = [];

beforeAll(async () => {
  hosts = ['member a', 'member b', 'outsider'].map((tag) => createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8(`block pool ${tag}`))) }));
  await Promise.all(hosts.map((h) => h.start()));
  [a, b, outsider] = hosts as [Host, Host, Host];
  chain = new TestChain();
  txs = Array.from({ length: 6 }, (_, nonce) => {
    const body = { to: accountKey(900).address, amount: BigInt(nonce + 1) * ABC };
    return encodeTx(signAccountTx({ chain: chain.chainId, kind: 'transfer', nonce: BigInt(nonce), fee: 0n, body }, accountKey(RESERVE)));
  });
}, 30_000);

afterEach(() => {
  for (const p of pools.splice(0)) p.stop();
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  chain?.close();
});

/** A mempool holding copies of `txs` (other arrays than the proposer's, as after gossip). */
function mempool(held: readonly Uint8Array[]): Mempool {
  const pool = new Mempool();
  for (const tx of held) admit(pool, tx);
  return pool;
}

function admit(pool: Mempool, tx: Uint8Array): void {
  const view = chain.ledger.finalView();
  pool.submit(tx.slice(), view, view.params(), 1_000n);
}

/** The block pools of members a and b (b rebuilding from `poolB`), started. */
function members(poolA: Mempool, poolB: Mempool): [BlockPool, BlockPool] {
  const peers = [a.peer, b.peer];
  const make = (host: Host, pool: Mempool) =>
    new BlockPool({ rpc: host.rpc, peers, chainId: chain.chainId, pooled: (hash) => pool.get(hash)?.bytes });
  const made: [BlockPool, BlockPool] = [make(a, poolA), make(b, poolB)];
  for (const p of made) {
    p.start();
    pools.push(p);
  }
  return made;
}

function propose(pool: Mempool): Block {
  const block = buildBlock(chain.ledger, pool, managerNode(0).publicKey.bytes, 1_000n, []);
  expect(block?.txs).toHaveLength(txs.length);
  return block!;
}

/** "remote CODE" for a peer's typed refusal; anything else fails the test. */
async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof NetError) return `${error.remote ? 'remote ' : ''}${error.code}`;
    throw error;
  }
}

describe('compact block relay over libp2p', () => {
  it('a member rebuilds a pushed block from its mempool and serves its full encoding', async () => {
    const poolA = mempool(txs);
    const poolB = mempool(txs);
    const [bpA, bpB] = members(poolA, poolB);
    const block = propose(poolA);
    const hash = bpA.broadcast(block);
    expect(hash).toEqual(headerHash(block.header));
    await until(() => bpB.size === 1, 5_000, 'b to hold the block');
    const rebuilt = bpB.get(hash)!;
    expect(encodeBlock(rebuilt)).toEqual(encodeBlock(block));
    // b's own pooled arrays, not copies from the wire: the ledger's decoded-transaction memo hits on them.
    rebuilt.txs.forEach((tx) => expect(tx).toBe(poolB.get(txHash(tx))!.bytes));
    expect(bpB.waiting).toBe(0);
    // The full encoding, made on demand, is the proposer's block byte for byte.
    expect(await a.rpc.request(b.peer, BLOCK_GET_METHOD, hash)).toEqual(encodeBlock(block));
  });

  it('a compact body missing a transaction waits: rebuilt when the transaction arrives', async () => {
    const poolA = mempool(txs);
    const poolB = mempool(txs.filter((_, i) => i !== 3));
    const [bpA, bpB] = members(poolA, poolB);
    const block = propose(poolA);
    const hash = bpA.broadcast(block);
    await until(() => bpB.waiting === 1, 5_000, 'b to hold the compact body');
    expect(bpB.get(hash)).toBeUndefined();
    expect(bpB.size).toBe(0);
    // Asked meanwhile, b has no full body to give.
    expect(await a.rpc.request(b.peer, BLOCK_GET_METHOD, hash)).toHaveLength(0);
    admit(poolB, txs[3]!);
    expect(encodeBlock(bpB.get(hash)!)).toEqual(encodeBlock(block));
    expect([bpB.size, bpB.waiting]).toEqual([1, 0]);
  });

  it('fetch falls back to the full body from a member when the mempool lacks a transaction', async () => {
    const poolA = mempool(txs);
    const poolB = mempool(txs.slice(1));
    const [bpA, bpB] = members(poolA, poolB);
    const block = propose(poolA);
    const hash = bpA.broadcast(block);
    await until(() => bpB.waiting === 1, 5_000, 'b to hold the compact body');
    const fetched = await bpB.fetch(hash);
    expect(encodeBlock(fetched!)).toEqual(encodeBlock(block));
    // Transaction 0 came from the wire: b never pooled it.
    expect(poolB.get(txHash(fetched!.txs[0]!))).toBeUndefined();
    expect([bpB.size, bpB.waiting]).toEqual([1, 0]);
  });

  it('still takes a full body pushed on manager/block (a member of an older release)', async () => {
    const poolA = mempool(txs);
    const [, bpB] = members(poolA, new Mempool());
    const block = propose(poolA);
    expect(await a.rpc.request(b.peer, BLOCK_METHOD, encodeBlock(block))).toHaveLength(0);
    expect(encodeBlock(bpB.get(headerHash(block.header))!)).toEqual(encodeBlock(block));
  });

  it('refuses mismatched hash lists, garbage, other chains and non-members, the pool unchanged', async () => {
    const poolA = mempool(txs);
    const poolB = mempool(txs);
    const [, bpB] = members(poolA, poolB);
    const block = propose(poolA);
    const hashes = block.txs.map(txHash);
    const send = (from: Host, body: Uint8Array) => refusal(from.rpc.request(b.peer, BLOCK_COMPACT_METHOD, body));

    const reordered = encodeCompactBlock(block, [...hashes].reverse());
    const dropped = encodeCompactBlock(block, hashes.slice(1));
    const otherChain = encodeCompactBlock({ ...block, header: { ...block.header, chain: new Uint8Array(32).fill(9) } });
    expect(await send(a, reordered)).toBe('remote BAD_REQUEST');
    expect(await send(a, dropped)).toBe('remote BAD_REQUEST');
    expect(await send(a, Uint8Array.of(0xa2, 0x61, 0x78, 0xff, 1, 2, 3))).toBe('remote BAD_REQUEST');
    expect(await send(a, new Uint8Array(0))).toBe('remote BAD_REQUEST');
    expect(await send(a, otherChain)).toBe('remote BAD_REQUEST');
    expect(await send(outsider, encodeCompactBlock(block))).toBe('remote UNAUTHORIZED');
    expect(await refusal(outsider.rpc.request(b.peer, BLOCK_GET_METHOD, headerHash(block.header)))).toBe('remote UNAUTHORIZED');
    expect([bpB.size, bpB.waiting]).toEqual([0, 0]);

    // The same block, well formed and from a member, is taken: the refusals were about the bytes and the sender.
    expect(await send(a, encodeCompactBlock(block))).toBeUndefined();
    expect([bpB.size, bpB.waiting]).toEqual([1, 0]);
  });
});
