import { afterEach, describe, expect, it } from 'vitest';
import { encodeSigned, encodeTx, signAccountTx, signManagerTx } from '../../../../node/ledger/index.ts';
import { ManagerError, Mempool } from '../../../../node/manager/index.ts';
import { ABC, accountKey, managerNode, RESEARCH, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

const chains: TestChain[] = [];
afterEach(() => {
  for (const c of chains.splice(0)) c.close();
});

function setup(): { c: TestChain; pool: Mempool; submit: (bytes: Uint8Array) => Uint8Array } {
  const c = new TestChain();
  chains.push(c);
  const pool = new Mempool({ maxTxs: 4, maxNonceAhead: 2n });
  const submit = (bytes: Uint8Array) => {
    const view = c.ledger.finalView();
    return pool.submit(bytes, view, view.params(), 1_000n);
  };
  return { c, pool, submit };
}

function transfer(c: TestChain, n: number, nonce: bigint, amount = 1n * ABC): Uint8Array {
  const body = { to: accountKey(900).address, amount };
  return encodeTx(signAccountTx({ chain: c.chainId, kind: 'transfer', nonce, fee: 0n, body }, accountKey(n)));
}

function codeOf(f: () => unknown): [string, string | undefined] {
  try {
    f();
    return ['ok', undefined];
  } catch (e) {
    return e instanceof ManagerError ? [e.code, e.reason] : [String(e), undefined];
  }
}

describe('Mempool', () => {
  it('admits by checkTx, lets nonces run ahead within the window, and refuses duplicates and junk', () => {
    const { c, pool, submit } = setup();
    expect(submit(transfer(c, RESERVE, 1n))).toHaveLength(32); // ahead by 1: pooled
    expect(codeOf(() => submit(transfer(c, RESERVE, 1n)))).toEqual(['DUPLICATE', undefined]);
    // Another transaction in the same (signer, nonce) slot.
    expect(codeOf(() => submit(transfer(c, RESERVE, 1n, 2n * ABC)))).toEqual(['DUPLICATE', undefined]);
    expect(codeOf(() => submit(transfer(c, RESERVE, 3n)))).toEqual(['REJECTED', 'BAD_NONCE']); // past the window
    expect(codeOf(() => submit(Uint8Array.of(1, 2, 3)))).toEqual(['REJECTED', 'MALFORMED']);
    // Admission is the ledger's: with no minimum fee an unfunded signer is admitted (its transfer fails in the block).
    expect(codeOf(() => submit(transfer(c, 777, 0n)))).toEqual(['ok', undefined]);
    submit(transfer(c, RESERVE, 0n));
    expect(pool.candidates().map((p) => p.tx.nonce)).toEqual([0n, 0n, 1n]);
    submit(transfer(c, RESEARCH, 0n));
    expect(codeOf(() => submit(transfer(c, RESEARCH, 1n)))).toEqual(['MEMPOOL_FULL', undefined]);
  });

  it('looks a pooled transaction up by hash, the submitted array itself, until it leaves', () => {
    const { c, pool, submit } = setup();
    const bytes = transfer(c, RESERVE, 0n);
    const hash = submit(bytes);
    expect(pool.get(hash)?.bytes).toBe(bytes);
    expect(pool.get(new Uint8Array(32))).toBeUndefined();
    pool.remove(hash);
    expect(pool.get(hash)).toBeUndefined();
  });

  it("lets a manager's own duty transactions run ahead too, never the governance's", () => {
    const { c, pool, submit } = setup();
    const report = (nonce: bigint) =>
      encodeSigned(signManagerTx({ chain: c.chainId, kind: 'attach', nonce, fee: 0n, body: { node: managerNode(3).publicKey.bytes, unity: 'u0' } }, managerNode(0)));
    expect(submit(report(1n))).toHaveLength(32);
    expect(submit(report(2n))).toHaveLength(32);
    expect(codeOf(() => submit(report(3n)))).toEqual(['REJECTED', 'BAD_NONCE']);
    expect(pool.candidates().map((p) => p.tx.nonce)).toEqual([1n, 2n]);
  });

  it('drops what a block applied and what a newer state made stale', () => {
    const { c, pool, submit } = setup();
    const zero = transfer(c, RESERVE, 0n);
    submit(zero);
    submit(transfer(c, RESERVE, 1n));
    const stale = transfer(c, RESEARCH, 0n);
    submit(stale);
    // RESEARCH's nonce 0 is spent by another transaction than the pooled one.
    c.accountNonces.set(accountKey(RESEARCH).address, 0n);
    c.block([zero, c.accountTx(accountKey(RESEARCH), 'transfer', { to: accountKey(901).address, amount: 5n })]);
    pool.prune(c.ledger.finalView());
    expect(pool.candidates().map((p) => p.tx.nonce)).toEqual([1n]);
    expect(pool.size).toBe(1);
  });
});
