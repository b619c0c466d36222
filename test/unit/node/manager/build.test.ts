import { afterEach, describe, expect, it } from 'vitest';
import { type Block, encodeTx, headerHash, signAccountTx } from '../../../../node/ledger/index.ts';
import { BUILDERS_PER_ROUND, buildsAt, NOTHING, Proposer } from '../../../../node/manager/build.ts';
import { Mempool } from '../../../../node/manager/index.ts';
import { SimClock } from '../../../../node/net/sim/clock.ts';
import { ABC, accountKey, managerNode, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

const chains: TestChain[] = [];
afterEach(() => {
  for (const c of chains.splice(0)) c.close();
});

/** A chain whose blocks hold 2,048 bytes (demoParams), a pool, and a proposer counting the blocks it broadcast. */
function setup() {
  const c = new TestChain();
  chains.push(c);
  const pool = new Mempool();
  const broadcast: Block[] = [];
  const proposer = new Proposer({
    clock: new SimClock(),
    mempool: pool,
    proposer: managerNode(0).publicKey.bytes,
    certificate: () => [],
    time: () => 1_000n,
    refresh: () => undefined,
  });
  // The reserve's transfers with nonces 0, 1, … (the pool lets nonces run ahead of the state).
  const submit = (nonce: number) => {
    const body = { to: accountKey(900).address, amount: 1n * ABC };
    const bytes = encodeTx(signAccountTx({ chain: c.chainId, kind: 'transfer', nonce: BigInt(nonce), fee: 0n, body }, accountKey(RESERVE)));
    const view = c.ledger.finalView();
    pool.submit(bytes, view, view.params(), 1_000n);
    return bytes.length;
  };
  const value = () =>
    proposer.value(c.ledger, true, (block) => {
      broadcast.push(block);
      return headerHash(block.header);
    });
  return { c, pool, proposer, submit, value, broadcast };
}

describe('Proposer', () => {
  it('proposes its last block again while the head is unchanged and that block was full, however the pool grows', () => {
    const { c, submit, value, broadcast, proposer } = setup();
    const limit = Number(c.params.blockLimitBytes);
    let pooled = 0;
    let nonce = 0;
    while (pooled < 2 * limit) pooled += submit(nonce++);
    const first = value();
    expect(broadcast).toHaveLength(1);
    const bytes = broadcast[0]!.txs.reduce((s, tx) => s + tx.length, 0);
    expect(bytes).toBeLessThanOrEqual(limit);
    submit(nonce);
    expect(value()).toEqual(first);
    expect(proposer.proposed).toBe(1);
  });

  it('builds again when the pool grows and the last block had room', () => {
    const { submit, value, broadcast } = setup();
    submit(0);
    const first = value();
    expect(broadcast[0]!.txs).toHaveLength(1);
    submit(1);
    const second = value();
    expect(second?.valueHash).not.toEqual(first?.valueHash);
    expect(broadcast[1]!.txs).toHaveLength(2);
  });
});

describe('buildsAt: builders in turn', () => {
  it('names exactly BUILDERS_PER_ROUND members each round, each member in turn, and every member of a small ring', () => {
    for (const n of [3, 6, 16]) {
      const turns = new Array<number>(n).fill(0);
      for (let h = 0; h < 10 * n; h++) {
        const builders = Array.from({ length: n }, (_, i) => i).filter((i) => buildsAt(h, i, n));
        expect(builders).toHaveLength(BUILDERS_PER_ROUND);
        for (const i of builders) turns[i]! += 1;
      }
      // Over 10·n rounds every member built 10 × BUILDERS_PER_ROUND times: the rotation is fair.
      expect(new Set(turns)).toEqual(new Set([10 * BUILDERS_PER_ROUND]));
    }
    for (let h = 0; h < 5; h++) expect([0, 1].every((i) => buildsAt(h, i, 2))).toBe(true);
  });

  it('a member that does not build proposes NOTHING, however full its pool, and builds in its turn', () => {
    const { c, submit, proposer, broadcast } = setup();
    submit(0);
    const push = (block: Block) => {
      broadcast.push(block);
      return headerHash(block.header);
    };
    expect(proposer.value(c.ledger, true, push, false)).toEqual({ valueHash: NOTHING, size: 0 });
    expect(broadcast).toHaveLength(0);
    const mine = proposer.value(c.ledger, true, push, true);
    expect(mine?.size).toBeGreaterThan(0);
    expect(broadcast).toHaveLength(1);
  });
});
