import { afterEach, describe, expect, it } from 'vitest';
import {
  allocate,
  channelId,
  checkTx,
  decodeTx,
  demoParams,
  encodeTx,
  LedgerError,
  LightClient,
  signGovernanceTx,
  type Tx,
  accountPath,
  META_PATHS,
  stateKey,
  writeGenesis,
} from '../../../../node/ledger/index.ts';
import { openStore } from '../../../../node/store/index.ts';
import {
  ABC,
  accountKey,
  EARLY,
  governanceKey,
  INVESTORS,
  managerNode,
  MANAGER_COUNT,
  nodeKey,
  RESEARCH,
  RESERVE,
  TestChain,
  testGenesis,
} from '../../../support/ledger-chain.ts';
import { codeOf } from '../../../support/error-code.ts';
import { tempDir } from '../store/store-fixtures.ts';

let chain: TestChain | undefined;
const emptyDraft = (c: TestChain) =>
  c.ledger.propose({ txs: [], time: 1000n, round: 0n, kind: 'final', proposer: managerNode(0).publicKey.bytes, leaders: [], parentCertificate: [] });
afterEach(() => chain?.close());
const open = (): TestChain => (chain = new TestChain());

function refusal(fn: () => unknown): { code: string; cause?: string; field?: string } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    const cause = error.cause instanceof LedgerError ? error.cause.code : undefined;
    return { code: error.code, ...(cause === undefined ? {} : { cause }), ...(error.field === undefined ? {} : { field: error.field }) };
  }
  throw new Error('expected a refusal');
}

describe('genesis', () => {
  it('allocates 40/20/20/10/10, releases U_1 into the reward pool, and has a reproducible root', () => {
    const c = open();
    const view = c.ledger.view();
    const supply = c.genesis.supply;
    expect(view.account(accountKey(INVESTORS).address).abc).toBe((supply * 20n) / 100n);
    expect(view.account(accountKey(RESERVE).address).abc).toBe((supply * 20n) / 100n);
    expect(view.account(accountKey(RESEARCH).address).abc).toBe((supply * 10n) / 100n);
    expect(view.account(accountKey(EARLY).address).abc).toBe((supply * 10n) / 100n);
    expect(view.pools()).toEqual({ fund: (supply * 40n) / 100n - 6n * ABC, rewardPool: 6n * ABC, workerFeePool: 0n });
    expect(view.managers().keys).toHaveLength(MANAGER_COUNT);
    const other = tempDir('ame-ledger-');
    const store = openStore(other.file);
    try {
      expect(writeGenesis(store, c.genesis).stateRoot).toEqual(c.store.root());
    } finally {
      store.close();
      other.cleanup();
    }
    expect(allocate(101n)).toEqual({ fund: 41n, investors: 20n, reserve: 20n, research: 10n, earlyDevelopers: 10n });
  });

  it('refuses a genesis that cannot work, naming the field', () => {
    const g = testGenesis();
    expect(refusal(() => new TestChain({ ...g, governance: { ...g.governance, threshold: 4 } }))).toMatchObject({
      code: 'BAD_GENESIS',
      field: 'governance.threshold',
    });
    expect(refusal(() => new TestChain({ ...g, accounts: { ...g.accounts, reserve: 'Anope' } }))).toMatchObject({
      code: 'BAD_GENESIS',
      field: 'accounts.reserve',
    });
  });
});

describe('transactions in blocks', () => {
  it('refuses a replayed transaction (same nonce) and a forged signature; the block leaves no trace', () => {
    const c = open();
    const reserve = accountKey(RESERVE);
    const tx = c.accountTx(reserve, 'transfer', { to: accountKey(9).address, amount: 5n * ABC });
    c.block([tx]);
    expect(c.ledger.view().account(accountKey(9).address).abc).toBe(5n * ABC);
    const height = c.ledger.view().chain().height;
    const root = c.store.root();
    expect(refusal(() => c.block([tx]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_NONCE', field: 'txs[0]' });
    const view = c.ledger.view();
    expect(codeOf(() => checkTx(view, view.params(), view.chain(), 0n, tx, 100), LedgerError)).toBe('BAD_NONCE');

    const fresh = c.accountTx(reserve, 'transfer', { to: accountKey(9).address, amount: 5n * ABC });
    const bytes = encodeTx(fresh);
    const forged = Uint8Array.from(bytes);
    const sig = fresh.sigs[0]!.sig;
    const at = Buffer.from(bytes).indexOf(Buffer.from(sig));
    forged[at + 10]! ^= 1;
    expect(refusal(() => c.block([forged]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_SIGNATURE' });
    // Someone else's key claiming the reserve's transaction.
    const thief = { ...decodeTx(bytes), sigs: [{ i: 0, sig: accountKey(9).sign(new Uint8Array([1])) }] } as Tx;
    expect(refusal(() => c.block([thief]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_SIGNATURE' });
    expect(c.ledger.view().chain().height).toBe(height);
    expect(c.store.root()).toEqual(root);
    c.block([bytes]);
    expect(c.ledger.view().account(accountKey(9).address).abc).toBe(10n * ABC);
  });

  it('records a failing transaction with its code and field, charging its fee and nonce', () => {
    const c = open();
    const poor = accountKey(9);
    c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to: poor.address, amount: 1n * ABC })]);
    const { result } = c.block([c.accountTx(poor, 'transfer', { to: accountKey(8).address, amount: 2n * ABC }, 1000n)]);
    expect(result.outcomes[0]).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS', field: 'body.amount', fee: 1000n });
    const account = c.ledger.view().account(poor.address);
    expect(account.abc).toBe(1n * ABC - 1000n);
    expect(account.nonce).toBe(1n);
  });

  it('refuses a fee the signer cannot pay and a transaction of another chain', () => {
    const c = open();
    const poor = accountKey(9);
    expect(refusal(() => c.block([c.accountTx(poor, 'convert', { amount: 1n }, 5n)]))).toMatchObject({
      code: 'BAD_BLOCK',
      cause: 'INSUFFICIENT_FUNDS',
    });
    const other = new TestChain({ ...testGenesis(), chainName: 'other' });
    try {
      const foreign = other.accountTx(accountKey(RESERVE), 'transfer', { to: poor.address, amount: 1n });
      expect(refusal(() => c.block([foreign]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'WRONG_CHAIN' });
    } finally {
      other.close();
    }
  });

  it('registers nodes with their deposit, and needs the node key signature', () => {
    const c = open();
    const owner = accountKey(RESEARCH);
    const node = nodeKey(20);
    const unsigned = c.accountTx(owner, 'register', { node: node.publicKey.bytes, role: 'worker', hardware: '' });
    expect(refusal(() => c.block([unsigned]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_SIGNATURE' });
    c.accountNonces.set(owner.address, 0n);
    const before = c.ledger.view().account(owner.address).abc;
    const reg = () => c.accountTx(owner, 'register', { node: node.publicKey.bytes, role: 'worker', hardware: '' }, 0n, node);
    const { result } = c.block([reg(), reg()]);
    expect(result.outcomes.map((o) => o.code ?? 'ok')).toEqual(['ok', 'NODE_EXISTS']);
    expect(c.ledger.view().account(owner.address).abc).toBe(before - 100n * ABC);
    expect(c.ledger.view().node(node.publicKey.bytes)).toMatchObject({ role: 'worker', deposit: 100n * ABC, status: 'active' });
    const manager = c.accountTx(owner, 'register', { node: nodeKey(21).publicKey.bytes, role: 'manager', hardware: '' }, 0n, nodeKey(21));
    expect(c.block([manager]).result.outcomes[0]).toMatchObject({ code: 'BAD_ROLE', field: 'body.role' });
  });

  it('runs the node lifecycle: promote, re-bind, exit after notice, remove with forfeit', () => {
    // The promotion rules switched off: this is about the lifecycle (reputation.test.ts and node-report.test.ts
    // test the rules).
    const noRules = { promotionMinServed: 0n, promotionMinAudits: 0n, promotionMinScore: 0n, promotionUptimeBps: 0n };
    const c = (chain = new TestChain(testGenesis({ ...demoParams, ...noRules })));
    const owner = accountKey(RESEARCH);
    const other = accountKey(EARLY);
    const [t1, t2, t3] = [nodeKey(30), nodeKey(31), nodeKey(32)];
    const reg = (n: typeof t1) => c.accountTx(owner, 'register', { node: n.publicKey.bytes, role: 'temporary', hardware: '' }, 0n, n);
    c.block([reg(t1), reg(t2), reg(t3)]);
    const view = () => c.ledger.view();
    const start = view().account(owner.address).abc;
    c.block([c.managerTx(0, 'promote', { node: t1.publicKey.bytes })]);
    expect(view().node(t1.publicKey.bytes)).toMatchObject({ role: 'worker', deposit: 100n * ABC });
    expect(view().account(owner.address).abc).toBe(start - 100n * ABC);

    const rebind = c.accountTx(owner, 'rebind', { node: t2.publicKey.bytes, scheme: other.scheme, key: other.publicKey }, 0n, other);
    c.block([rebind]);
    expect(view().node(t2.publicKey.bytes)?.account).toBe(other.address);

    c.block([c.accountTx(owner, 'exit', { node: t1.publicKey.bytes })]);
    expect(view().node(t1.publicKey.bytes)?.status).toBe('exiting');
    const early = c.block([c.accountTx(owner, 'exit', { node: t1.publicKey.bytes })]);
    expect(early.result.outcomes[0]?.code).toBe('TOO_EARLY');
    c.block([c.accountTx(owner, 'exit', { node: t1.publicKey.bytes })], { time: c.time + c.params.exitNoticeMs });
    expect(view().node(t1.publicKey.bytes)).toMatchObject({ status: 'exited', deposit: 0n });
    expect(view().account(owner.address).abc).toBe(start);

    c.block([c.managerTx(1, 'promote', { node: t3.publicKey.bytes })]);
    const pool = view().pools().rewardPool;
    const removed = c.block([c.managerTx(1, 'remove', { node: t3.publicKey.bytes, cheating: true, reason: 'forged log' })]);
    expect(removed.result.outcomes[0]?.ok).toBe(true);
    expect(view().node(t3.publicKey.bytes)).toMatchObject({ status: 'removed', deposit: 0n });
    expect(view().account(owner.address).bad).toBe(true);
    // The block also paid its rewards out of the pool; the forfeit came in.
    expect(view().pools().rewardPool).toBeGreaterThan(pool);
    const notManager = c.accountTx(owner, 'exit', { node: t2.publicKey.bytes });
    expect(c.block([notManager]).result.outcomes[0]).toMatchObject({ code: 'NOT_AUTHORISED', field: 'signer' });
  });

  it('records ring changes at increasing epochs only', () => {
    const c = open();
    const root = new Uint8Array(32).fill(7);
    c.block([c.managerTx(0, 'ring-change', { epoch: 1n, root })]);
    expect(c.ledger.view().ring()).toEqual({ epoch: 1n, root });
    expect(c.block([c.managerTx(0, 'ring-change', { epoch: 1n, root })]).result.outcomes[0]?.code).toBe('STALE_EPOCH');
    const notManager = c.accountTx(accountKey(RESERVE), 'ring-change', { epoch: 2n, root });
    expect(refusal(() => c.block([notManager]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_FIELD' });
  });

  it('changes a parameter only with the governance threshold', () => {
    const c = open();
    const tx = (nonce: bigint, signers: number[]) =>
      signGovernanceTx(
        { chain: c.chainId, kind: 'set-param', nonce, body: { name: 'minFee', value: 7n } },
        signers.map((index) => ({ index, key: governanceKey(index) })),
      );
    expect(refusal(() => c.block([tx(0n, [1])]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'NOT_AUTHORISED' });
    c.block([tx(0n, [0, 2])]);
    expect(c.ledger.view().params().minFee).toBe(7n);
    expect(refusal(() => c.block([tx(0n, [0, 2])]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_NONCE' });
    const low = c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n }, 6n);
    expect(refusal(() => c.block([low]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'FEE_TOO_LOW' });
  });

  it('closes a channel in two steps and returns the rest after the dispute window', () => {
    const c = open();
    const client = accountKey(INVESTORS);
    const owner = accountKey(RESEARCH);
    const node = nodeKey(40);
    c.block([c.accountTx(owner, 'register', { node: node.publicKey.bytes, role: 'temporary', hardware: '' }, 0n, node)]);
    const before = c.ledger.view().account(client.address).abc;
    c.block([c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 2n * ABC, payees: [node.publicKey.bytes] })]);
    const id = channelId(c.chainId, client.address, 0n);
    c.block([c.accountTx(client, 'channel-close', { channel: id })]);
    expect(c.ledger.view().channel(id)?.status).toBe('closing');
    expect(c.block([c.accountTx(client, 'channel-close', { channel: id })]).result.outcomes[0]?.code).toBe('TOO_EARLY');
    c.block([c.accountTx(client, 'channel-close', { channel: id })], { time: c.time + c.params.channelDisputeMs });
    expect(c.ledger.view().channel(id)).toMatchObject({ status: 'closed', escrow: 0n });
    expect(c.ledger.view().account(client.address).abc).toBe(before);
  });
});

describe('tentative blocks, certificates and light clients', () => {
  it('keeps tentative blocks on a branch until a final successor confirms them', () => {
    const c = open();
    const to = accountKey(9).address;
    const mainRoot = c.store.root();
    c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })], { kind: 'tentative' });
    expect(c.ledger.pendingTentative).toBe(1);
    expect(c.store.root()).toEqual(mainRoot);
    expect(c.ledger.view().account(to).abc).toBe(1n * ABC);
    expect(c.ledger.finalView().account(to).abc).toBe(0n);
    c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })]);
    expect(c.ledger.pendingTentative).toBe(0);
    expect(c.ledger.finalView().account(to).abc).toBe(2n * ABC);
    expect(c.store.branches()).toHaveLength(0);

    c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })], { kind: 'tentative' });
    c.ledger.dropTentative();
    expect(c.ledger.view().account(to).abc).toBe(2n * ABC);
    expect(c.store.branches()).toHaveLength(0);
  });

  it('needs a quorum of distinct managers (⌊2n/3⌋ + 1 = 5 of 6) on a final block', () => {
    const c = open();
    const draft = emptyDraft(c);
    const full = c.certify(draft);
    expect(refusal(() => c.ledger.apply({ ...draft, certificate: full.slice(0, 4) }))).toMatchObject({ code: 'BAD_CERTIFICATE' });
    expect(refusal(() => c.ledger.apply({ ...draft, certificate: [...full.slice(0, 4), full[0]!] }))).toMatchObject({
      code: 'BAD_CERTIFICATE',
      field: 'certificate[4]',
    });
    const stranger = { member: nodeKey(77).publicKey.bytes, sig: nodeKey(77).sign(new Uint8Array(1)) };
    expect(refusal(() => c.ledger.apply({ ...draft, certificate: [...full.slice(0, 5), stranger] }))).toMatchObject({
      code: 'BAD_CERTIFICATE',
    });
    const wrong = { ...full[4]!, sig: full[5]!.sig };
    expect(refusal(() => c.ledger.apply({ ...draft, certificate: [...full.slice(0, 4), wrong] }))).toMatchObject({
      code: 'BAD_CERTIFICATE',
    });
    c.ledger.apply({ ...draft, certificate: full.slice(0, 5) });
    expect(c.ledger.view().chain().height).toBe(1n);
  });

  it('refuses a block whose state root is not the one its execution gives', () => {
    const c = open();
    const draft = emptyDraft(c);
    const bad = { ...draft, header: { ...draft.header, stateRoot: new Uint8Array(32) } };
    expect(refusal(() => c.ledger.apply({ ...bad, certificate: c.certify(bad) }))).toMatchObject({
      code: 'BAD_BLOCK',
      field: 'header.stateRoot',
    });
    expect(c.store.branches()).toHaveLength(0);
    expect(c.ledger.view().chain().height).toBe(0n);
  });

  it('lets a light client follow certified headers and prove a balance', () => {
    const c = open();
    const client = new LightClient(c.chainId, c.store.root(), c.genesis.managers.map((m) => m.key));
    const to = accountKey(9).address;
    for (let i = 0; i < 3; i++) {
      const { block } = c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })]);
      client.follow(block.header, block.certificate);
    }
    expect(client.height).toBe(3n);
    expect(client.account(to, c.store.prove(stateKey(accountPath(to))))?.abc).toBe(3n * ABC);
    expect(client.account(accountKey(8).address, c.store.prove(stateKey(accountPath(accountKey(8).address))))).toBeUndefined();
    client.updateManagers(c.store.prove(stateKey(META_PATHS.managers)));
    expect(refusal(() => client.account(to, c.store.prove(stateKey(accountPath(accountKey(8).address)))))).toMatchObject({
      code: 'BAD_PROOF',
    });
    const { block } = c.block([]);
    expect(refusal(() => client.follow(block.header, block.certificate.slice(0, 3)))).toMatchObject({ code: 'BAD_CERTIFICATE' });
    expect(refusal(() => client.follow({ ...block.header, height: 9n }, block.certificate))).toMatchObject({ code: 'BAD_BLOCK' });
  });
});
