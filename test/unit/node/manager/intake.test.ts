import { afterEach, describe, expect, it } from 'vitest';
import { encodeTx, signAccountTx, txHash } from '../../../../node/ledger/index.ts';
import { Mempool } from '../../../../node/manager/index.ts';
import { TxIntake } from '../../../../node/manager/intake.ts';
import { SUBMIT_METHOD, TX_GOSSIP_METHOD } from '../../../../node/manager/rpc.ts';
import type { PeerRef, RequestHandler, Rpc } from '../../../../node/net/index.ts';
import { ABC, accountKey, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

const chains: TestChain[] = [];
afterEach(() => {
  for (const c of chains.splice(0)) c.close();
});

const SELF: PeerRef = { id: 'self', addrs: [] };
const MEMBER: PeerRef = { id: 'member', addrs: [] };

/** An intake over a fake transport whose deferred turns run only when the test says so. */
function setup(batch = 3) {
  const c = new TestChain();
  chains.push(c);
  const handlers = new Map<string, RequestHandler>();
  const sent: string[] = [];
  const rpc: Rpc = {
    self: SELF,
    handle: (method, handler) => void handlers.set(method, handler),
    unhandle: (method) => void handlers.delete(method),
    request: async (peer, method) => {
      sent.push(`${peer.id} ${method}`);
      return new Uint8Array(0);
    },
  };
  const turns: (() => void)[] = [];
  const mempool = new Mempool();
  let admitted = 0;
  const intake = new TxIntake({
    rpc,
    mempool,
    ledger: () => c.ledger,
    time: () => 1_000n,
    members: () => [SELF, MEMBER],
    admitted: () => void (admitted += 1),
    defer: (task) => void turns.push(task),
    batch,
  });
  intake.start();
  const ctx = (peer: string) => ({ peer, deadline: Number.MAX_SAFE_INTEGER, signal: new AbortController().signal });
  const forward = (tx: Uint8Array, from = MEMBER.id) => handlers.get(TX_GOSSIP_METHOD)!(tx, ctx(from));
  const runTurn = () => turns.shift()?.();
  const transfer = (nonce: number) =>
    encodeTx(signAccountTx({ chain: c.chainId, kind: 'transfer', nonce: BigInt(nonce), fee: 0n, body: { to: accountKey(900).address, amount: 1n * ABC } }, accountKey(RESERVE)));
  return { c, intake, mempool, forward, runTurn, turns, transfer, handlers, sent, admitted: () => admitted, ctx };
}

describe('TxIntake: forwarded transactions', () => {
  it('answers at once, queues, and admits `batch` per deferred turn until the queue is empty', async () => {
    const { intake, mempool, forward, runTurn, turns, transfer, admitted } = setup(3);
    const txs = Array.from({ length: 7 }, (_, i) => transfer(i));
    for (const tx of txs) expect(await forward(tx)).toHaveLength(0);
    expect(mempool.size).toBe(0);
    expect(intake.queued).toBe(7);
    // One turn is scheduled at a time, however many arrive.
    expect(turns).toHaveLength(1);
    runTurn();
    expect(mempool.size).toBe(3);
    expect(admitted()).toBe(1);
    runTurn();
    runTurn();
    expect(mempool.size).toBe(7);
    expect(intake.queued).toBe(0);
    expect(turns).toHaveLength(0);
    for (const tx of txs) expect(mempool.has(txHash(tx))).toBe(true);
  });

  it('gives a queued transaction to a compact block (pending), and forgets one a block applied', async () => {
    const { intake, mempool, forward, runTurn, transfer } = setup(10);
    const [a, b] = [transfer(0), transfer(1)];
    await forward(a);
    await forward(b);
    expect(intake.pending(txHash(a))).toBe(a);
    expect(intake.pending(new Uint8Array(32))).toBeUndefined();
    intake.forget(txHash(a));
    expect(intake.pending(txHash(a))).toBeUndefined();
    runTurn();
    expect(mempool.has(txHash(a))).toBe(false);
    expect(mempool.has(txHash(b))).toBe(true);
  });

  it('refuses a forwarder that is not a member, and drops refused or garbled transactions without throwing', async () => {
    const { intake, mempool, forward, runTurn, transfer } = setup(10);
    await expect(forward(transfer(0), 'stranger')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(intake.queued).toBe(0);
    const good = transfer(0);
    await forward(new Uint8Array([1, 2, 3]));
    await forward(good);
    await forward(good); // a duplicate
    const forged = transfer(1);
    forged[forged.length - 1]! ^= 1;
    await forward(forged);
    expect(() => runTurn()).not.toThrow();
    expect(mempool.size).toBe(1);
    expect(mempool.has(txHash(good))).toBe(true);
    expect(intake.queued).toBe(0);
  });

  it("admits a client's submission at once and forwards it to the other members", async () => {
    const { mempool, handlers, transfer, sent, ctx } = setup();
    const tx = transfer(0);
    await handlers.get(SUBMIT_METHOD)!(tx, ctx('client'));
    expect(mempool.has(txHash(tx))).toBe(true);
    expect(sent).toEqual([`member ${TX_GOSSIP_METHOD}`]);
  });

  it('stops: the queue is dropped and a turn already scheduled admits nothing', async () => {
    const { intake, mempool, forward, runTurn, transfer } = setup();
    await forward(transfer(0));
    intake.stop();
    runTurn();
    expect(mempool.size).toBe(0);
    expect(intake.queued).toBe(0);
  });
});
