import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesEqual, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { type Block, decodeBlock, encodeBlock, encodeTx, headerHash, txHash, txRoot } from '../../../../node/ledger/index.ts';
import { type AppliedResult, ChainStore, ChainStoreError, MAX_RANGE } from '../../../../node/manager/chain-store.ts';
import { codeOf } from '../../../support/error-code.ts';
import { ABC, accountKey, INVESTORS, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ame-chain-store-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function testChain(): TestChain {
  const c = new TestChain();
  cleanups.push(() => c.close());
  return c;
}

function open(path: string, chainId: Uint8Array): ChainStore {
  const store = ChainStore.open(path, { chainId });
  cleanups.push(() => store.close());
  return store;
}

/** A block the store accepts (it checks linkage, not execution): `count` random transactions, or the given ones. */
function syntheticBlock(
  chain: Uint8Array,
  height: bigint,
  prevHash: Uint8Array,
  count: number,
  seed: number,
  given?: readonly Uint8Array[],
): { block: Block; result: AppliedResult } {
  const txs = given ?? Array.from({ length: count }, (_, i) => sha256(utf8(`tx ${seed}/${i}`)));
  const hashes = txs.map(txHash);
  const zero = new Uint8Array(32);
  const header = {
    chain,
    height,
    prevHash,
    round: 0n,
    stateRoot: sha256(utf8(`root ${seed}`)),
    txRoot: txRoot(hashes),
    time: height * 1000n,
    kind: 'final' as const,
    proposer: zero,
    leaders: [],
    parentCertHash: zero,
  };
  return {
    block: { header, certificate: [], parentCertificate: [], txs },
    result: { outcomes: hashes.map((hash) => ({ hash, ok: true, fee: 0n })), version: Number(height) + 1 },
  };
}

describe('ChainStore', () => {
  it('keeps blocks, transactions with their outcomes and the head of a real certified chain', () => {
    const c = testChain();
    const store = open(join(tempDir(), 'chain.sqlite'), c.chainId);
    expect(store.head()).toEqual({ height: 0n, hash: c.chainId });
    const ok = c.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(700).address, amount: 5n * ABC });
    // More than the reserve holds: admitted (the fee is payable), but its effect fails and is recorded.
    const failing = c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(701).address, amount: 900_000n * ABC });
    const first = c.block([ok, failing]);
    expect(first.result.outcomes.map((o) => o.ok)).toEqual([true, false]);
    store.append(first.block, first.result);
    const second = c.block([]);
    store.append(second.block, second.result);

    expect(store.head()).toEqual({ height: 2n, hash: headerHash(second.block.header) });
    const stored = store.block(1n)!;
    expect(stored.hash).toEqual(headerHash(first.block.header));
    expect(stored.txCount).toBe(2);
    expect(stored.time).toBe(first.block.header.time);
    expect(stored.stateVersion).toBe(first.result.version);
    expect(stored.bytes).toEqual(encodeBlock(first.block));
    expect(decodeBlock(stored.bytes).certificate).toHaveLength(6);
    expect(stored.certificate).toEqual(first.block.certificate);
    expect(stored.header).toEqual(first.block.header);
    expect(store.blockByHash(headerHash(second.block.header))?.height).toBe(2n);
    expect(store.blockByHash(sha256(utf8('no such block')))).toBeUndefined();
    expect(store.block(3n)).toBeUndefined();
    expect(store.block(0n)).toBeUndefined();
    expect(store.block(2n ** 64n - 1n)).toBeUndefined();

    const okTx = store.tx(txHash(encodeTx(ok)))!;
    expect(okTx).toMatchObject({ height: 1n, index: 0, code: null, message: null });
    const failed = store.tx(txHash(encodeTx(failing)))!;
    expect(failed).toMatchObject({ height: 1n, index: 1, code: 'INSUFFICIENT_FUNDS' });
    expect(failed.message).toMatch(/./);
    expect(store.tx(new Uint8Array(32))).toBeUndefined();
    expect(store.outcomes(1n).map((o) => [o.index, o.code])).toEqual([
      [0, null],
      [1, 'INSUFFICIENT_FUNDS'],
    ]);
    expect(store.outcomes(2n)).toEqual([]);
    expect(store.outcomes(7n)).toEqual([]);
    expect(store.range(1n, 10n).map((b) => b.height)).toEqual([1n, 2n]);
    expect(store.range(2n, 2n).map((b) => b.height)).toEqual([2n]);
    expect(store.range(3n, 9n)).toEqual([]);
    const summaries = store.summaries(1n, 2n);
    expect(summaries.map((b) => [b.height, b.txCount, b.certificate.length])).toEqual([
      [1n, 2, 6],
      [2n, 0, 6],
    ]);
    expect('bytes' in summaries[0]!).toBe(false);
    expect(summaries[1]!.header).toEqual(second.block.header);
  });

  it('refuses a block that is not the next one of its chain, with a typed error, and keeps the head', () => {
    const c = testChain();
    const store = open(join(tempDir(), 'chain.sqlite'), c.chainId);
    const first = c.block([]);
    const second = c.block([]);
    const code = (f: () => unknown) => codeOf(f, ChainStoreError);
    expect(code(() => store.append(second.block, second.result))).toBe('BAD_HEIGHT');
    const forked: Block = { ...first.block, header: { ...first.block.header, prevHash: sha256(utf8('another parent')) } };
    expect(code(() => store.append(forked, first.result))).toBe('BAD_PARENT');
    const foreign: Block = { ...first.block, header: { ...first.block.header, chain: sha256(utf8('another chain')) } };
    expect(code(() => store.append(foreign, first.result))).toBe('WRONG_CHAIN');
    const tentative: Block = { ...first.block, header: { ...first.block.header, kind: 'tentative' } };
    expect(code(() => store.append(tentative, first.result))).toBe('BAD_BLOCK');
    expect(store.head().height).toBe(0n);
    store.append(first.block, first.result);
    expect(store.head().height).toBe(1n);
    expect(code(() => store.append(first.block, first.result))).toBe('BAD_HEIGHT');
    store.append(second.block, second.result);
    expect(store.head().height).toBe(2n);
    expect(code(() => store.range(0n, 3n))).toBe('BAD_RANGE');
    expect(code(() => store.range(3n, 2n))).toBe('BAD_RANGE');
  });

  it('refuses outcomes that do not belong to the block', () => {
    const c = testChain();
    const store = open(join(tempDir(), 'chain.sqlite'), c.chainId);
    const tx = c.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(702).address, amount: 1n });
    const { block, result } = c.block([tx]);
    const wrong = { outcomes: [{ ...result.outcomes[0]!, hash: new Uint8Array(32) }] };
    expect(codeOf(() => store.append(block, wrong), ChainStoreError)).toBe('BAD_BLOCK');
    expect(codeOf(() => store.append(block, { outcomes: [] }), ChainStoreError)).toBe('BAD_BLOCK');
    expect(store.head().height).toBe(0n);
  });

  it('survives close and reopen, and refuses a file of another chain or a closed store', () => {
    const c = testChain();
    const path = join(tempDir(), 'chain.sqlite');
    let store = ChainStore.open(path, { chainId: c.chainId });
    const tx = c.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(703).address, amount: 2n });
    const blocks = [c.block([tx]), c.block([]), c.block([])];
    for (const b of blocks) store.append(b.block, b.result);
    store.close();
    expect(codeOf(() => store.head(), ChainStoreError)).toBe('CLOSED');
    expect(codeOf(() => ChainStore.open(path, { chainId: sha256(utf8('other')) }), ChainStoreError)).toBe('WRONG_CHAIN');

    store = open(path, c.chainId);
    expect(store.head()).toEqual({ height: 3n, hash: headerHash(blocks[2]!.block.header) });
    expect(store.tx(txHash(encodeTx(tx)))?.height).toBe(1n);
    expect(store.block(2n)?.bytes).toEqual(encodeBlock(blocks[1]!.block));
    const next = c.block([]);
    store.append(next.block, next.result);
    expect(store.head().height).toBe(4n);
  });

  it('attaches a certificate collected after the block was stored', () => {
    const c = testChain();
    const store = open(join(tempDir(), 'chain.sqlite'), c.chainId);
    const { block, result } = c.block([]);
    store.append({ ...block, certificate: [] }, result);
    expect(store.block(1n)?.certificate).toEqual([]);
    store.setCertificate(1n, block.certificate);
    const stored = store.block(1n)!;
    expect(stored.certificate).toEqual(block.certificate);
    expect(stored.bytes).toEqual(encodeBlock(block));
    expect(stored.hash).toEqual(headerHash(block.header));
    expect(codeOf(() => store.setCertificate(2n, block.certificate), ChainStoreError)).toBe('UNKNOWN_HEIGHT');
    const bad = [{ member: new Uint8Array(0), sig: new Uint8Array(64) }];
    expect(codeOf(() => store.setCertificate(1n, bad), ChainStoreError)).toBe('BAD_BLOCK');
    expect(store.block(1n)?.certificate).toEqual(block.certificate);
  });

  it('writes each append as one transaction: a block refused half-way leaves no row behind', () => {
    const dir = tempDir();
    const chainId = sha256(utf8('synthetic chain'));
    const store = open(join(dir, 'chain.sqlite'), chainId);
    const one = syntheticBlock(chainId, 1n, chainId, 2, 1);
    store.append(one.block, one.result);
    // Block 2's second transaction is block 1's first: the block row and its first transaction were written
    // inside the transaction before the duplicate was found, and must be rolled back with it.
    const two = syntheticBlock(chainId, 2n, headerHash(one.block.header), 1, 2);
    const duplicate = syntheticBlock(chainId, 2n, headerHash(one.block.header), 0, 2, [two.block.txs[0]!, one.block.txs[0]!]);
    expect(codeOf(() => store.append(duplicate.block, duplicate.result), ChainStoreError)).toBe('BAD_BLOCK');
    expect(store.head().height).toBe(1n);
    expect(store.block(2n)).toBeUndefined();
    expect(store.tx(txHash(two.block.txs[0]!))).toBeUndefined();
    store.close();
    const again = open(join(dir, 'chain.sqlite'), chainId);
    expect(again.head().height).toBe(1n);
    expect(again.tx(txHash(two.block.txs[0]!))).toBeUndefined();
    again.append(two.block, two.result);
    expect(again.head().height).toBe(2n);
  });

  it(`returns at most ${MAX_RANGE} blocks from a range`, () => {
    const chainId = sha256(utf8('long synthetic chain'));
    const store = open(join(tempDir(), 'chain.sqlite'), chainId);
    let prev = chainId;
    for (let h = 1n; h <= BigInt(MAX_RANGE) + 10n; h++) {
      const b = syntheticBlock(chainId, h, prev, 1, Number(h));
      store.append(b.block, b.result);
      prev = headerHash(b.block.header);
    }
    const all = store.range(1n, 10_000n);
    expect(all).toHaveLength(MAX_RANGE);
    expect(all.at(-1)?.height).toBe(BigInt(MAX_RANGE));
    expect(store.range(BigInt(MAX_RANGE) + 1n, 10_000n)).toHaveLength(10);
    for (const [i, b] of all.entries()) {
      if (i > 0) expect(bytesEqual(b.header.prevHash, all[i - 1]!.hash)).toBe(true);
    }
    expect(toHex(store.head().hash)).toBe(toHex(prev));
  });
});
