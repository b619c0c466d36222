/**
 * A ledger read for the independent economics model (economy-model.ts): a manager's chain store's blocks as the
 * model replays them, its genesis as the model starts from it, and the whole economic state after a block — from
 * the ledger or from the model — in one shape the tests compare.
 */
import { toHex as hex } from '../../node/crypto/index.ts';
import {
  accountAt,
  channelId,
  decodeBlock,
  decodeReceipt,
  decodeTx,
  type GenesisConfig,
  signerAddress,
  signerClassOf,
  StateView,
  type Tx,
  type TxBody,
} from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import type { ModelBlock, ModelEffect, ModelGenesis } from './economy-chain.ts';
import { EconomyModel } from './economy-model.ts';

/** What a transaction does to money, as the model reads it. */
function effectOf(tx: Tx, chain: Uint8Array): ModelEffect {
  switch (tx.kind) {
    case 'transfer':
      return { kind: 'transfer', to: tx.body.to, amount: tx.body.amount };
    case 'convert':
      return { kind: 'convert', amount: tx.body.amount };
    case 'register':
      return { kind: 'register', node: hex(tx.body.node), role: tx.body.role };
    case 'channel-open':
      return {
        kind: 'channel-open',
        channel: hex(channelId(chain, signerAddress(tx), tx.nonce)),
        currency: tx.body.currency,
        amount: tx.body.amount,
        payees: tx.body.payees.map(hex),
      };
    case 'channel-settle': {
      const { fields } = decodeReceipt(tx.body.receipt);
      return { kind: 'channel-settle', channel: hex(fields.channel), payee: hex(fields.payee), amount: fields.amount };
    }
    case 'node-report': {
      const body: TxBody<'node-report'> = tx.body;
      const units = body.nodes.flatMap((n) => (n.units === undefined ? [] : [{ node: hex(n.node), units: n.units }]));
      return { kind: 'workload', units, cheated: body.nodes.some((n) => n.cheated), close: false };
    }
    case 'period-close':
      return { kind: 'workload', units: tx.body.workload.map((w) => ({ node: hex(w.node), units: w.units })), cheated: false, close: true };
    case 'attach':
      return { kind: 'none' };
    default:
      return { kind: 'unsupported', what: tx.kind };
  }
}

/** Block `height` of a manager's chain store, as the model reads it. */
export function modelBlock(server: ManagerServer, height: bigint): ModelBlock {
  const stored = server.chain.block(height);
  if (stored === undefined) throw new Error(`no block ${height}`);
  const block = decodeBlock(stored.bytes);
  const outcomes = server.chain.outcomes(height);
  const chain = block.header.chain;
  return {
    height,
    time: block.header.time,
    kind: block.header.kind,
    proposer: hex(block.header.proposer),
    leaders: block.header.leaders.map(hex),
    parentVoters: block.parentCertificate.map((c) => hex(c.member)),
    txs: block.txs.map((bytes, i) => {
      const tx = decodeTx(bytes);
      return {
        bytes: bytes.length,
        fee: tx.fee,
        payer: signerClassOf(tx.kind) === 'account' ? signerAddress(tx) : undefined,
        ok: outcomes[i]!.code === null,
        effect: effectOf(tx, chain),
      };
    }),
  };
}

/** A ledger's genesis as the model starts from it. */
export function modelGenesis(genesis: GenesisConfig): ModelGenesis {
  return {
    supply: genesis.supply,
    time: genesis.time,
    params: genesis.params,
    accounts: genesis.accounts,
    managers: genesis.managers.map((m) => ({ key: hex(m.key), account: m.account })),
  };
}

/** The ledger's state after block `height` (of this manager's store). */
export function stateAfter(server: ManagerServer, height: bigint): { view: StateView; time: bigint } {
  const stored = server.chain.block(height)!;
  return { view: StateView.at(server.store, stored.stateVersion!), time: stored.time };
}

/** Σ ABC and Σ ABIT over every record, summed here (not by the ledger's own invariant check). */
export function sums(view: StateView, time: bigint): { abc: bigint; abit: bigint } {
  const params = view.params();
  let abc = 0n;
  let abit = 0n;
  for (const r of view.records()) {
    if (r.t === 'account') {
      const a = accountAt(view, params, r.address, time);
      abc += a.abc + a.options.reduce((s, t) => s + t.total - t.released, 0n);
      abit += a.abit + a.receivedAbit;
    } else if (r.t === 'node') abc += r.deposit;
    else if (r.t === 'channel') {
      if (r.currency === 'ABC') abc += r.escrow;
      else abit += r.escrow;
    } else if (r.t === 'pools') abc += r.fund + r.rewardPool + r.workerFeePool;
  }
  return { abc, abit };
}

/** The whole economic state as of a height, from the ledger or from the model, in one comparable shape. */
export function economy(source: { view: StateView; time: bigint } | EconomyModel, addresses: readonly string[], nodes: readonly string[]) {
  const account = (address: string) => {
    if (source instanceof EconomyModel) return source.account(address);
    const a = accountAt(source.view, source.view.params(), address, source.time);
    return { abc: a.abc, options: a.options.map((t) => ({ total: t.total, released: t.released, start: t.start })), abit: a.abit, receivedAbit: a.receivedAbit, periodIncome: a.periodIncome };
  };
  const node = (key: string) => {
    if (source instanceof EconomyModel) return { account: source.accountOf(key), workload: source.workload(key) };
    const n = source.view.node(Buffer.from(key, 'hex'));
    return { account: n?.account, workload: n?.workload };
  };
  const chain = source instanceof EconomyModel ? source : source.view.chain();
  const pools = source instanceof EconomyModel ? source.pools : source.view.pools();
  const totals = source instanceof EconomyModel ? source.totals : source.view.totals();
  return {
    chain: { period: chain.period, periodStart: chain.periodStart },
    pools: { fund: pools.fund, rewardPool: pools.rewardPool, workerFeePool: pools.workerFeePool },
    totals: { genesisSupply: totals.genesisSupply, abcBurned: totals.abcBurned, abitMinted: totals.abitMinted, abitBurned: totals.abitBurned },
    accounts: Object.fromEntries(addresses.map((a) => [a, account(a)])),
    nodes: Object.fromEntries(nodes.map((k) => [k, node(k)])),
  };
}
