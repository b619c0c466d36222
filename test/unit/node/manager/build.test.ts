import { afterEach, describe, expect, it } from 'vitest';
import { type Block, encodeTx, headerHash, signAccountTx } from '../../../../node/ledger/index.ts';
import { NOTHING, Proposer } from '../../../../node/manager/build.ts';
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

describe('Proposer: turns and caps', () => {
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

  it("a backup's cap keeps its block below the limit; full, it is proposed again without the cap on the same head", () => {
    const { c, submit, proposer, broadcast } = setup();
    const limit = c.params.blockLimitBytes;
    const push = (block: Block) => {
      broadcast.push(block);
      return headerHash(block.header);
    };
    const cap = limit / 2n;
    let pooled = 0;
    let nonce = 0;
    while (pooled < 2 * Number(limit)) pooled += submit(nonce++);
    const capped = proposer.value(c.ledger, true, push, true, cap);
    expect(capped!.size).toBeGreaterThan(0);
    expect(BigInt(capped!.size)).toBeLessThanOrEqual(cap);
    // Full under its cap, same head: proposed again, not rebuilt, however the pool grows.
    submit(nonce);
    expect(proposer.value(c.ledger, true, push, true)).toEqual(capped);
    expect(broadcast).toHaveLength(1);
  });

  it('a capped block that held the whole pool is built again when the cap goes (the same transactions)', () => {
    const { c, submit, proposer, broadcast } = setup();
    const push = (block: Block) => {
      broadcast.push(block);
      return headerHash(block.header);
    };
    submit(0);
    const capped = proposer.value(c.ledger, true, push, true, c.params.blockLimitBytes / 2n);
    const uncapped = proposer.value(c.ledger, true, push, true);
    expect(broadcast).toHaveLength(2);
    expect(uncapped).toEqual(capped);
  });
});
