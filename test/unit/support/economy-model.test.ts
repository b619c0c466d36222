/**
 * The independent economics model (test/support/economy-model.ts) plays SPEC §7's worked example as a chain, to the
 * micro-unit: two full final blocks with 0.2 ABC of fees each, proposed by two different managers; a temporary
 * worker settles 3 ABC of receipts and 500 ABIT of messages, has 250 of the period's 1,000 workload units, and the
 * second block closes the period.
 */
import { describe, expect, it } from 'vitest';
import { demoParams } from '../../../node/ledger/params.ts';
import type { ModelBlock, ModelTx } from '../../support/economy-chain.ts';
import { EconomyModel } from '../../support/economy-model.ts';

const ABC = 1_000_000n;
const ABIT = 1_000_000n;
const DAY = demoParams.dayMs;

describe('the economics model', () => {
  it('plays the worked example as a chain', () => {
    const p = demoParams;
    const managers = Array.from({ length: 6 }, (_, i) => ({ key: `m${i}`, account: `M${i}` }));
    const model = new EconomyModel({
      supply: 1_000_000n * ABC,
      time: 0n,
      params: p,
      accounts: { investors: 'inv', reserve: 'res', research: 'rsch', earlyDevelopers: 'early' },
      managers,
    });
    const voters = managers.map((m) => m.key);
    const tx = (payer: string | undefined, effect: ModelTx['effect'], bytes = 200, fee = 0n): ModelTx => ({ bytes, fee, payer, ok: true, effect });
    const block = (height: bigint, proposer: string, leaders: string[], txs: ModelTx[], kind: ModelBlock['kind'] = 'final'): ModelBlock => ({
      height,
      time: height * 1_000n,
      kind,
      proposer,
      leaders,
      parentVoters: height === 1n ? [] : voters,
      txs,
    });
    // Block 1 (m0; leaders m2, m3): the client is funded (the 0.2 ABC fee), converts 0.5 ABC, opens its channels
    // to the temporary worker; the worker and another temporary worker register. 2,048 bytes: full.
    model.apply(
      block(1n, 'm0', ['m2', 'm3'], [
        tx('inv', { kind: 'transfer', to: 'client', amount: 10n * ABC }, 1_048, 200_000n),
        tx('client', { kind: 'convert', amount: 500_000n }),
        tx('tw', { kind: 'register', node: 'tw', role: 'temporary' }),
        tx('other', { kind: 'register', node: 'other', role: 'temporary' }),
        tx('client', { kind: 'channel-open', channel: 'abc', currency: 'ABC', amount: 3n * ABC, payees: ['tw'] }),
        tx('client', { kind: 'channel-open', channel: 'abit', currency: 'ABIT', amount: 500n * ABIT, payees: ['tw'] }),
      ]),
    );
    expect(model.account('M0').abc).toBe(600_000n);
    expect(model.account('M2').abc).toBe(150_000n);
    expect(model.account('M3').abc).toBe(150_000n);
    // Block 2 (m1; leaders m4, m5): the settlements, the workload report (250 of 1,000 units its own), the close.
    const beforeVoters = model.pools.rewardPool;
    model.apply(
      block(2n, 'm1', ['m4', 'm5'], [
        tx('inv', { kind: 'transfer', to: 'elsewhere', amount: ABC }, 1_248, 200_000n),
        tx('tw', { kind: 'channel-settle', channel: 'abc', payee: 'tw', amount: 3n * ABC }),
        tx('tw', { kind: 'channel-settle', channel: 'abit', payee: 'tw', amount: 500n * ABIT }),
        tx(undefined, { kind: 'workload', units: [{ node: 'tw', units: 250n }, { node: 'other', units: 750n }], cheated: false, close: false }),
        tx(undefined, { kind: 'workload', units: [], cheated: false, close: true }),
      ]),
    );
    const [close] = model.closes;
    expect(close).toMatchObject({ height: 2n, time: 2_000n, period: 1n, feePool: 200_000n });
    expect(close!.shares).toEqual(new Map([['tw', 50_000n], ['other', 150_000n]]));
    expect(close!.workRewards).toEqual(new Map([['tw', 500_000n]]));
    expect(close!.income.get('tw')).toBe(3_550_000n);
    expect(close!.frozen.get('tw')).toBe(710_000n);
    // Block 1's six voters were paid 33,333 a each by block 2.
    expect(model.account('M1').abc).toBe(600_000n + 33_333n - (600_000n + 33_333n) / 5n);
    const worker = model.account('tw');
    expect(worker.options).toEqual([{ total: 710_000n, released: 0n, start: 2_000n }]);
    expect(worker.abc).toBe(2_840_000n);
    expect(worker.receivedAbit).toBe(0n);
    expect(model.account('other').options[0]!.total).toBe((150_000n * 2n) / 10n);
    expect(model.pools.workerFeePool).toBe(0n);
    // Block 3 (empty) pays block 2's voters: 6 × 33,333 a out of 0.2 ABC, 2 a stay in the reward pool.
    const beforeEmpty = model.pools.rewardPool;
    model.apply(block(3n, 'm0', [], [], 'empty'));
    expect(beforeEmpty - model.pools.rewardPool).toBe(6n * 33_333n);
    expect(beforeVoters).toBeGreaterThan(0n);
    // Vesting: 23,666 a a day for 29 days, 23,686 a on the 30th.
    expect(model.account('tw', 2_000n + DAY).abc).toBe(2_840_000n + 23_666n);
    expect(model.account('tw', 2_000n + 29n * DAY).abc).toBe(2_840_000n + 29n * 23_666n);
    expect(model.account('tw', 2_000n + 30n * DAY)).toMatchObject({ abc: 3_550_000n, options: [] });
    // 500 ABIT minted by the conversion, 500 burned for the work reward; ABC: the supply less the 0.5 converted.
    const supply = model.supply();
    expect(supply.abc).toBe(supply.expectedAbc);
    expect(supply.abit).toBe(supply.expectedAbit);
    expect(model.totals.abcBurned).toBe(500_000n);
    expect(model.totals.abitBurned).toBe(500n * ABIT);
  });
});
