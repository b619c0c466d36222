/**
 * The worked example of SPEC §7, to the micro-unit, through real transactions and blocks on a store file:
 * two full final blocks (f = 1) with M = 1 ABC and T = 0.2 ABC by two different managers; a temporary worker
 * settles receipts worth 3 ABC and receives 500 ABIT; workload 1,000 units, 250 its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeSession, Ed25519KeyPair, encodeSessionAuthorization, sha256, utf8 } from '../../../../node/crypto/index.ts';
import {
  accountAt,
  channelId,
  checkInvariants,
  economics,
  encodeReceipt,
  encodeTx,
  signReceipt,
  type Tx,
} from '../../../../node/ledger/index.ts';
import {
  ABC,
  ABIT,
  accountKey,
  INVESTORS,
  managerAccount,
  MANAGER_COUNT,
  nodeKey,
  owned,
  RESEARCH,
  RESERVE,
  TestChain,
} from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => chain?.close());

describe('SPEC §7 worked example', () => {
  it('gives every number to the micro-unit', () => {
    const c = (chain = new TestChain());
    const params = c.params;
    const client = accountKey(INVESTORS);
    const reserve = accountKey(RESERVE);
    const research = accountKey(RESEARCH);
    const worker = accountKey(10);
    const workerNode = nodeKey(10);
    const otherWorker = accountKey(11);
    const otherNode = nodeKey(11);

    // The period's M = U_1 / expected blocks = 6 ABC / 6 = 1 ABC.
    expect(economics.blockReward(params, 1n)).toBe(1n * ABC);

    // Set-up block (no fees): two temporary workers register, the client opens an ABC channel of 3 ABC and,
    // after converting 1 ABC into 1000 ABIT, an ABIT channel of 500 ABIT, both paying the temporary worker.
    const register = (key: typeof worker, node: Ed25519KeyPair): Tx =>
      c.accountTx(key, 'register', { node: node.publicKey.bytes, role: 'temporary', hardware: 'pi5' }, 0n, node);
    const abcOpenNonce = 1n;
    const abitOpenNonce = 2n;
    c.block([
      register(worker, workerNode),
      register(otherWorker, otherNode),
      c.accountTx(client, 'convert', { amount: 1n * ABC }),
      c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 3n * ABC, payees: [workerNode.publicKey.bytes] }),
      c.accountTx(client, 'channel-open', { currency: 'ABIT', amount: 500n * ABIT, payees: [workerNode.publicKey.bytes] }),
      c.managerTx(0, 'attach', { node: workerNode.publicKey.bytes, unity: 'u0' }),
    ]);
    const abcChannel = channelId(c.chainId, client.address, abcOpenNonce);
    const abitChannel = channelId(c.chainId, client.address, abitOpenNonce);
    expect(c.ledger.view().channel(abcChannel)?.escrow).toBe(3n * ABC);
    expect(c.ledger.view().channel(abitChannel)?.escrow).toBe(500n * ABIT);

    const session = Ed25519KeyPair.fromSeed(sha256(utf8('client session')));
    const authorization = encodeSessionAuthorization(authorizeSession(client, session.publicKey, 10_000_000));
    const settle = (channel: Uint8Array, amount: bigint): Tx =>
      c.accountTx(worker, 'channel-settle', {
        receipt: encodeReceipt(signReceipt(session, { channel, payee: workerNode.publicKey.bytes, amount, nonce: 7n })),
        authorization,
      });
    /** Pads the block with fee-free transfers until it is full: C_final + k ≥ C_limit (f = 1). */
    const fill = (txs: Tx[]): Uint8Array[] => {
      const encoded = txs.map(encodeTx);
      const size = (): bigint => encoded.reduce((sum, b) => sum + BigInt(b.length), 0n);
      const k = params.blockLimitBytes / params.fullnessDivisor;
      while (size() + k < params.blockLimitBytes) {
        encoded.push(encodeTx(c.accountTx(reserve, 'transfer', { to: research.address, amount: 1n })));
      }
      expect(size()).toBeLessThanOrEqual(params.blockLimitBytes);
      return encoded;
    };
    const view = () => c.ledger.view();
    const ownedOf = (i: number): bigint => owned(view().account(managerAccount(i).address));
    const before = (): bigint[] => Array.from({ length: MANAGER_COUNT }, (_, i) => ownedOf(i));

    // Block A: manager 1 proposes, managers 2 and 3 lead; T = 0.2 ABC; the worker settles 3 ABC.
    const poolBeforeA = view().pools();
    const mA = before();
    const a = c.block(
      fill([settle(abcChannel, 3n * ABC), c.accountTx(client, 'transfer', { to: research.address, amount: 1n }, 200_000n)]),
      { proposer: 1, leaders: [2, 3], payVerifiers: false, time: 10_000n },
    );
    expect(a.result.outcomes.every((o) => o.ok)).toBe(true);
    expect(a.result.fees).toBe(200_000n);
    expect(a.result.txBytes + params.blockLimitBytes / 10n).toBeGreaterThanOrEqual(params.blockLimitBytes);
    const mA2 = before();
    expect(mA2[1]! - mA[1]!).toBe(600_000n); // miner: 0.5 ABC + ⌊T/2⌋ = 0.1 ABC
    expect(mA2[2]! - mA[2]!).toBe(150_000n); // each leader: 0.3 ABC / 2
    expect(mA2[3]! - mA[3]!).toBe(150_000n);
    for (const i of [0, 4, 5]) expect(mA2[i]).toBe(mA[i]);
    expect(view().pools().rewardPool).toBe(poolBeforeA.rewardPool - 800_000n);
    expect(view().pools().workerFeePool).toBe(poolBeforeA.workerFeePool + 100_000n);
    expect(view().chain().verifierBudget).toBe(200_000n);
    expect(view().account(worker.address).abc).toBe(3n * ABC);
    expect(view().account(worker.address).periodIncome).toBe(3n * ABC);

    // Block B, after the period's end: manager 2 proposes, 4 and 5 lead; T = 0.2 ABC; the worker settles
    // 500 ABIT; block A's six voters are paid; a manager closes the period with the audited workload.
    const supplyBefore = checkInvariants(c.store).abc;
    const poolBeforeB = view().pools();
    const mB = before();
    const b = c.block(
      fill([
        settle(abitChannel, 500n * ABIT),
        c.accountTx(client, 'transfer', { to: research.address, amount: 1n }, 200_000n),
        c.managerTx(3, 'period-close', {
          period: 1n,
          workload: [
            { node: workerNode.publicKey.bytes, units: 250n },
            { node: otherNode.publicKey.bytes, units: 750n },
          ],
        }),
      ]),
      { proposer: 2, leaders: [4, 5], time: 60_000n },
    );
    expect(b.result.outcomes.map((o) => o.code ?? 'ok')).toEqual(b.result.outcomes.map(() => 'ok'));
    expect(b.result.fees).toBe(200_000n);
    const mB2 = before();
    const voter = 33_333n; // ⌊0.2 ABC / 6⌋
    expect(mB2[2]! - mB[2]!).toBe(600_000n + voter);
    expect(mB2[4]! - mB[4]!).toBe(150_000n + voter);
    expect(mB2[5]! - mB[5]!).toBe(150_000n + voter);
    for (const i of [0, 1, 3]) expect(mB2[i]! - mB[i]!).toBe(voter);

    // The reward pool paid 0.8 ABC for block B, 6 × 33,333 a to block A's voters (2 a stay), the 0.5 ABC
    // work reward, and received U_2 = 7.2 ABC from the fund at the close.
    const poolAfter = view().pools();
    expect(poolAfter.rewardPool).toBe(poolBeforeB.rewardPool - 800_000n - 6n * voter - 500_000n + 7_200_000n);
    expect(poolBeforeB.fund - poolAfter.fund).toBe(7_200_000n);
    // The worker fee pool (0.1 + 0.1 ABC) went out by workload: 0.05 and 0.15 ABC.
    expect(poolAfter.workerFeePool).toBe(0n);

    // The worker: 3 + 0.5 + 0.05 = 3.55 ABC income; 710,000 a frozen; 2.84 ABC spendable.
    const w = view().account(worker.address);
    expect(w.periodIncome).toBe(0n);
    expect(w.receivedAbit).toBe(0n);
    expect(w.options).toEqual([{ total: 710_000n, released: 0n, start: 60_000n }]);
    expect(w.abc).toBe(2_840_000n);
    expect(owned(w)).toBe(3_550_000n);
    expect(owned(view().account(otherWorker.address))).toBe(150_000n);

    // 500 ABIT burned; ABC supply unchanged by the two blocks.
    const totals = view().totals();
    expect(totals.abitBurned).toBe(500n * ABIT);
    expect(checkInvariants(c.store).abc).toBe(supplyBefore);
    expect(totals.genesisSupply - totals.abcBurned).toBe(supplyBefore);
    expect(view().chain().period).toBe(2n);

    // The tranche releases 23,666 a a day for 29 days and 23,686 a on day 30.
    const day = params.dayMs;
    const at = (t: bigint): bigint => accountAt(view(), params, worker.address, t).abc;
    expect(at(60_000n + day - 1n)).toBe(2_840_000n);
    for (let d = 1n; d <= 29n; d++) expect(at(60_000n + d * day)).toBe(2_840_000n + d * 23_666n);
    expect(at(60_000n + 30n * day)).toBe(2_840_000n + 29n * 23_666n + 23_686n);
    expect(29n * 23_666n + 23_686n).toBe(710_000n);

    // And through real blocks: a transfer by the worker on day 29 and on day 30 moves the released parts.
    c.block([c.accountTx(worker, 'transfer', { to: research.address, amount: 1n })], { time: 60_000n + 29n * day });
    const w29 = view().account(worker.address);
    expect(w29.abc).toBe(2_840_000n + 29n * 23_666n - 1n);
    expect(w29.options).toEqual([{ total: 710_000n, released: 29n * 23_666n, start: 60_000n }]);
    c.block([c.accountTx(worker, 'transfer', { to: research.address, amount: 1n })], { time: 60_000n + 30n * day });
    const w30 = view().account(worker.address);
    expect(w30.abc).toBe(3_550_000n - 2n);
    expect(w30.options).toEqual([]);
  });
});
