/**
 * An independent model of SPEC §7 "Economics", to check the ledger against: what every account, pool and node
 * deposit should hold after a chain of blocks. It imports no ledger code (only the parameter type) and applies the
 * formulas of economy-rules.ts, written from the SPEC's text, so a test that compares the ledger with it does not
 * check the ledger's code against itself. How blocks move the money, beyond those formulas:
 *
 * - A final block's certificate voters are paid when the next block executes, as that block carries the
 *   certificate (a next block that carries none pays no voters: their part stays in the reward pool). An empty
 *   block pays nothing (and its certificate's voters share nothing).
 * - A transaction pays its fee even when its effect fails; a failed effect changes nothing else.
 * - Channels: the escrow leaves the client; a settlement pays the payee's payout account the difference between the
 *   receipt's cumulative amount and what that payee already got on the channel, at most the escrow left. ABC is
 *   the payee's income; ABIT goes to its received-ABIT counter.
 * - Period close, after the block's own rewards: (1) every received ABIT is burned for its work reward from the
 *   reward pool; (2) the worker fee pool is shared by the nodes' workload units of the period; (3) every account's
 *   income of the period (settled receipts, block rewards, fee share, work reward, pool share) gives its tranche;
 *   (4) the ABIT chat allowance is minted to the accounts holding at least the minimum ABC (balance and unreleased
 *   options), by holding; (5) the fund releases U_{r+1} and the next period starts.
 *
 * What this model does not do (it throws rather than guess): a reward pool too small for a payment (the SPEC
 * scales it down pro rata), removals, promotions, exits, re-binds, closing channels, cheating verdicts and
 * parameter or manager-set changes. Tests choose parameters and flows that stay inside it.
 */
import type { LedgerParams } from '../../node/ledger/params.ts';
import type { ModelBlock, ModelGenesis, ModelTx } from './economy-chain.ts';
import { allowanceBudget, blockPay, blockRewardOf, BT_PER_A, genesisShares, periodRelease, released, shares, tranche, workRewardOf } from './economy-rules.ts';

type Params = LedgerParams;

export interface ModelTranche {
  readonly total: bigint;
  readonly released: bigint;
  readonly start: bigint;
}

/** An account as a wallet sees it at a time: released option days count in its balance. */
export interface ModelAccount {
  readonly abc: bigint;
  readonly options: readonly ModelTranche[];
  readonly abit: bigint;
  readonly receivedAbit: bigint;
  readonly periodIncome: bigint;
}

interface Account {
  /** ABC outside tranches (a tranche's released days are added when read). */
  liquid: bigint;
  tranches: { total: bigint; start: bigint }[];
  abit: bigint;
  received: bigint;
  income: bigint;
}

interface Node {
  readonly account: string;
  readonly deposit: bigint;
  workload: bigint;
}

interface Channel {
  readonly client: string;
  readonly currency: string;
  escrow: bigint;
  readonly payees: readonly string[];
  readonly paid: bigint[];
}

export interface ModelPools {
  readonly fund: bigint;
  readonly rewardPool: bigint;
  readonly workerFeePool: bigint;
}

export interface ModelClose {
  readonly height: bigint;
  readonly time: bigint;
  readonly period: bigint;
  /** The worker fee pool shared, and each node's share. */
  readonly feePool: bigint;
  readonly shares: ReadonlyMap<string, bigint>;
  readonly workRewards: ReadonlyMap<string, bigint>;
  /** Each account's income of the period (its rewards and shares above included) and the tranche frozen from it. */
  readonly income: ReadonlyMap<string, bigint>;
  readonly frozen: ReadonlyMap<string, bigint>;
}

export class ModelError extends Error {}

export class EconomyModel {
  readonly params: Params;
  readonly #accounts = new Map<string, Account>();
  readonly #nodes = new Map<string, Node>();
  readonly #channels = new Map<string, Channel>();
  #fund: bigint;
  #rewardPool: bigint;
  #feePool = 0n;
  readonly #supply: bigint;
  #abcBurned = 0n;
  #abitMinted = 0n;
  #abitBurned = 0n;
  #period = 1n;
  #periodStart: bigint;
  #height = 0n;
  #time: bigint;
  #verifierBudget = 0n;
  /** The period closes applied, with what each paid (by account address, fee-pool shares by node key). */
  readonly closes: ModelClose[] = [];

  constructor(genesis: ModelGenesis) {
    const p = genesis.params;
    this.params = p;
    this.#supply = genesis.supply;
    const a = genesis.accounts;
    const g = genesisShares(genesis.supply);
    this.#credit(a.investors, g.investors, false);
    this.#credit(a.reserve, g.reserve, false);
    this.#credit(a.research, g.research, false);
    this.#credit(a.earlyDevelopers, g.earlyDevelopers, false);
    const u1 = periodRelease(p, 1n);
    this.#fund = genesis.supply - g.investors - g.reserve - g.research - g.earlyDevelopers - u1;
    this.#rewardPool = u1;
    for (const m of genesis.managers) {
      this.#nodes.set(m.key, { account: m.account, deposit: 0n, workload: 0n });
      this.#acct(m.account);
    }
    this.#time = genesis.time;
    this.#periodStart = genesis.time;
  }

  get height(): bigint {
    return this.#height;
  }

  get time(): bigint {
    return this.#time;
  }

  get period(): bigint {
    return this.#period;
  }

  /** When the open period started (genesis, or the block time of the last close). */
  get periodStart(): bigint {
    return this.#periodStart;
  }

  get pools(): ModelPools {
    return { fund: this.#fund, rewardPool: this.#rewardPool, workerFeePool: this.#feePool };
  }

  get totals(): { genesisSupply: bigint; abcBurned: bigint; abitMinted: bigint; abitBurned: bigint } {
    return { genesisSupply: this.#supply, abcBurned: this.#abcBurned, abitMinted: this.#abitMinted, abitBurned: this.#abitBurned };
  }

  /** Every account the model knows (any that ever held or moved anything). */
  addresses(): string[] {
    return [...this.#accounts.keys()].sort();
  }

  /** The payout account of a node (hex key). */
  accountOf(node: string): string {
    const n = this.#nodes.get(node);
    if (n === undefined) throw new ModelError(`unknown node ${node}`);
    return n.account;
  }

  workload(node: string): bigint {
    return this.#nodes.get(node)?.workload ?? 0n;
  }

  channelPaid(channel: string, payee: string): bigint {
    const c = this.#channels.get(channel);
    if (c === undefined) throw new ModelError(`unknown channel ${channel}`);
    return c.paid[c.payees.indexOf(payee)] ?? 0n;
  }

  /** An account as of time `at` (default: the last block's time). */
  account(address: string, at: bigint = this.#time): ModelAccount {
    const a = this.#accounts.get(address) ?? { liquid: 0n, tranches: [], abit: 0n, received: 0n, income: 0n };
    let abc = a.liquid;
    const options: ModelTranche[] = [];
    for (const t of a.tranches) {
      const r = released(this.params, t.total, t.start, at);
      abc += r;
      if (r < t.total) options.push({ total: t.total, released: r, start: t.start });
    }
    return { abc, options, abit: a.abit, receivedAbit: a.received, periodIncome: a.income };
  }

  /** ABC an account owns: its balance and its unreleased options. */
  owned(address: string): bigint {
    const a = this.#accounts.get(address);
    return a === undefined ? 0n : a.tranches.reduce((sum, t) => sum + t.total, a.liquid);
  }

  /** Σ ABC and Σ ABIT over everything the model holds, next to genesis supply − burned and minted − burned. */
  supply(): { abc: bigint; abit: bigint; expectedAbc: bigint; expectedAbit: bigint } {
    let abc = this.#fund + this.#rewardPool + this.#feePool;
    let abit = 0n;
    for (const address of this.#accounts.keys()) abc += this.owned(address);
    for (const a of this.#accounts.values()) abit += a.abit + a.received;
    for (const n of this.#nodes.values()) abc += n.deposit;
    for (const c of this.#channels.values()) {
      if (c.currency === 'ABC') abc += c.escrow;
      else abit += c.escrow;
    }
    return { abc, abit, expectedAbc: this.#supply - this.#abcBurned, expectedAbit: this.#abitMinted - this.#abitBurned };
  }

  /** Applies the next block. */
  apply(block: ModelBlock): void {
    const p = this.params;
    if (block.height !== this.#height + 1n) throw new ModelError(`expected block ${this.#height + 1n}, got ${block.height}`);
    if (block.kind === 'tentative') throw new ModelError('a tentative block is not final: the model takes final blocks');
    const time = block.time;
    if (time < this.#time) throw new ModelError(`block ${block.height}: time goes backwards`);
    this.#time = time;
    // The previous block's voters, from the certificate this block carries.
    if (block.parentVoters.length > 0) {
      const each = this.#verifierBudget / BigInt(block.parentVoters.length);
      for (const voter of block.parentVoters) this.#payReward(this.accountOf(voter), each);
    }
    let fees = 0n;
    let txBytes = 0n;
    let close = false;
    for (const [i, tx] of block.txs.entries()) {
      txBytes += BigInt(tx.bytes);
      fees += tx.fee;
      if (tx.payer !== undefined) this.#debit(tx.payer, tx.fee);
      else if (tx.fee !== 0n) throw new ModelError(`block ${block.height} tx ${i}: a fee without a payer`);
      if (!tx.ok) continue;
      if (tx.effect.kind === 'workload' && tx.effect.close) close = true;
      this.#effect(tx, `block ${block.height} tx ${i}`);
    }
    if (block.kind === 'final') {
      const pay = blockPay(p, blockRewardOf(p, this.#period, txBytes), fees, block.leaders.length, 0);
      this.#payReward(this.accountOf(block.proposer), pay.miner);
      for (const leader of block.leaders) this.#payReward(this.accountOf(leader), pay.leaderEach);
      this.#credit(this.accountOf(block.proposer), pay.minerFee, true);
      this.#feePool += pay.feePool;
      this.#verifierBudget = pay.verifiers;
    } else {
      this.#verifierBudget = 0n;
    }
    if (close) this.#close(block.height, time);
    this.#height = block.height;
  }

  #close(height: bigint, time: bigint): void {
    const p = this.params;
    const r = this.#period;
    const record = { height, time, period: r, feePool: this.#feePool, shares: new Map<string, bigint>(), workRewards: new Map<string, bigint>(), income: new Map<string, bigint>(), frozen: new Map<string, bigint>() };
    // 1. Work rewards for received ABIT.
    for (const [address, a] of this.#accounts) {
      if (a.received === 0n) continue;
      this.#abitBurned += a.received;
      const reward = workRewardOf(a.received);
      a.received = 0n;
      this.#payReward(address, reward);
      record.workRewards.set(address, reward);
    }
    // 2. The worker fee pool by workload units.
    const workers = [...this.#nodes.entries()].filter(([, n]) => n.workload > 0n);
    const parts = shares(this.#feePool, workers.map(([, n]) => n.workload));
    for (const [i, [key, n]] of workers.entries()) {
      this.#credit(n.account, parts[i]!, true);
      this.#feePool -= parts[i]!;
      n.workload = 0n;
      record.shares.set(key, parts[i]!);
    }
    // 3. 20 % of each account's period income frozen as a tranche.
    for (const [address, a] of this.#accounts) {
      if (a.income === 0n) continue;
      const { frozen } = tranche(p, a.income);
      record.income.set(address, a.income);
      record.frozen.set(address, frozen);
      a.income = 0n;
      if (frozen === 0n) continue;
      a.liquid -= frozen;
      a.tranches.push({ total: frozen, start: time });
    }
    // 4. The ABIT chat allowance, by ABC held, to holders of at least the minimum.
    const holders = [...this.#accounts.keys()].filter((address) => {
      const held = this.owned(address);
      return held > 0n && held >= p.allowanceMinHolding;
    });
    const budget = allowanceBudget(p, r);
    const allowances = shares(budget, holders.map((address) => this.owned(address)));
    for (const [i, address] of holders.entries()) {
      this.#acct(address).abit += allowances[i]!;
      this.#abitMinted += allowances[i]!;
    }
    // 5. The fund's release for the next period.
    const next = periodRelease(p, r + 1n);
    const release = next < this.#fund ? next : this.#fund;
    this.#fund -= release;
    this.#rewardPool += release;
    this.closes.push(record);
    this.#period = r + 1n;
    this.#periodStart = time;
  }

  #effect(tx: ModelTx, where: string): void {
    const e = tx.effect;
    const payer = (): string => {
      if (tx.payer === undefined) throw new ModelError(`${where}: ${e.kind} needs an account`);
      return tx.payer;
    };
    switch (e.kind) {
      case 'transfer':
        this.#debit(payer(), e.amount);
        this.#credit(e.to, e.amount, false);
        return;
      case 'convert': {
        this.#debit(payer(), e.amount);
        this.#acct(payer()).abit += e.amount * BT_PER_A;
        this.#abcBurned += e.amount;
        this.#abitMinted += e.amount * BT_PER_A;
        return;
      }
      case 'register': {
        const p = this.params;
        const deposit = e.role === 'worker' ? p.depositWorker : e.role === 'temporary' ? p.depositTemporary : undefined;
        if (deposit === undefined) throw new ModelError(`${where}: registration as ${e.role}`);
        this.#debit(payer(), deposit);
        this.#nodes.set(e.node, { account: payer(), deposit, workload: 0n });
        return;
      }
      case 'channel-open': {
        if (e.currency === 'ABC') this.#debit(payer(), e.amount);
        else this.#acct(payer()).abit -= e.amount;
        this.#channels.set(e.channel, { client: payer(), currency: e.currency, escrow: e.amount, payees: e.payees, paid: e.payees.map(() => 0n) });
        return;
      }
      case 'channel-settle': {
        const c = this.#channels.get(e.channel);
        const i = c?.payees.indexOf(e.payee) ?? -1;
        if (c === undefined || i < 0) throw new ModelError(`${where}: a settlement the ledger took on a channel the model lacks`);
        const already = c.paid[i]!;
        const owed = e.amount > already ? e.amount - already : 0n;
        const pay = owed < c.escrow ? owed : c.escrow;
        if (owed > c.escrow) throw new ModelError(`${where}: receipts over the escrow (a bad record) are not modelled`);
        c.paid[i] = already + pay;
        c.escrow -= pay;
        const account = this.accountOf(e.payee);
        if (c.currency === 'ABC') this.#credit(account, pay, true);
        else this.#acct(account).received += pay;
        return;
      }
      case 'workload': {
        if (e.cheated) throw new ModelError(`${where}: cheating verdicts are not modelled`);
        for (const { node, units } of e.units) {
          const n = this.#nodes.get(node);
          if (n === undefined) throw new ModelError(`${where}: workload of unknown node ${node}`);
          n.workload += units;
        }
        return;
      }
      case 'none':
        return;
      case 'unsupported':
        throw new ModelError(`${where}: ${e.what} is not modelled`);
    }
  }

  #acct(address: string): Account {
    let a = this.#accounts.get(address);
    if (a === undefined) {
      a = { liquid: 0n, tranches: [], abit: 0n, received: 0n, income: 0n };
      this.#accounts.set(address, a);
    }
    return a;
  }

  #credit(address: string, amount: bigint, income: boolean): void {
    const a = this.#acct(address);
    a.liquid += amount;
    if (income) a.income += amount;
  }

  #debit(address: string, amount: bigint): void {
    const a = this.account(address);
    if (a.abc < amount) throw new ModelError(`${address} holds ${a.abc} a, pays ${amount} a`);
    this.#acct(address).liquid -= amount;
  }

  /** Income from the reward pool; the model refuses a payment the pool cannot cover (SPEC: scaled pro rata). */
  #payReward(address: string, amount: bigint): void {
    if (amount > this.#rewardPool) throw new ModelError(`the reward pool holds ${this.#rewardPool} a, owes ${amount} a: pro rata scaling is not modelled`);
    this.#rewardPool -= amount;
    this.#credit(address, amount, true);
  }
}
