/**
 * Manager-set reconfiguration (SPEC §7 "Recovery"): a `reconfigure` signed by two thirds of the current set
 * (⌊2n/3⌋ + 1: 5 of 6) or by the governance threshold (2 of 3) installs a new set; the next block is certified
 * by the new set and not by the old one, its parent certificate (the old set's) still pays the old set's voters,
 * and a light client following from the genesis switches sets with a managers proof. TestChain checks the supply
 * invariants after every block.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Ed25519KeyPair, sha256, utf8 } from '../../../../node/crypto/index.ts';
import {
  certificateMessage,
  checkTx,
  decodeTx,
  encodeTx,
  headerHash,
  LightClient,
  signAccountTx,
  signManagersTx,
  signManagerTx,
  txShare,
  type Tx,
  unsignedTx,
  validateGenesis,
  withSigs,
} from '../../../../node/ledger/index.ts';
import {
  ABC,
  accountKey,
  managerAccount,
  managerEntry,
  managerNode,
  MANAGER_COUNT,
  nodeKey,
  refusal,
  RESERVE,
  TestChain,
  testGenesis,
} from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => chain?.close());
const open = (): TestChain => (chain = new TestChain());

const genesisNodes = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
const keep = (indices: readonly number[]) => indices.map((i) => managerEntry(managerNode(i), managerAccount(i)));
const fresh = (n: number) => Array.from({ length: n }, (_, i) => managerEntry(nodeKey(300 + i), accountKey(300 + i)));
const freshNodes = (n: number) => Array.from({ length: n }, (_, i) => nodeKey(300 + i));

/** The admission refusal of a transaction on the tip state. */
function admission(c: TestChain, tx: Tx) {
  const view = c.ledger.view();
  return refusal(() => checkTx(view, view.params(), view.chain(), c.time, tx, encodeTx(tx).length));
}

describe('reconfiguration by two thirds of the manager set', () => {
  it('5 of 6 install a new set: records, certificates, parent-certificate pay and a light client follow it', () => {
    const c = open();
    const client = LightClient.fromGenesis(c.genesis, c.store.root());
    const next = [...keep([0, 1, 2, 3]), ...fresh(2)];
    const { block, result } = c.block([c.managersReconfigure(next, genesisNodes.slice(0, 5))]);
    expect(result.outcomes[0]).toMatchObject({ ok: true });

    const view = c.ledger.view();
    expect(view.managers().keys).toEqual(next.map((m) => m.key));
    expect(view.chain().govNonce).toBe(1n);
    expect(view.node(nodeKey(300).publicKey.bytes)).toMatchObject({
      role: 'manager',
      status: 'active',
      deposit: 0n,
      account: accountKey(300).address,
    });
    for (const gone of [4, 5]) expect(view.node(managerNode(gone).publicKey.bytes)).toMatchObject({ role: 'manager', status: 'exited' });
    expect(view.node(managerNode(3).publicKey.bytes)?.status).toBe('active');
    expect(view.previousManagers()).toMatchObject({ height: 1n, recovery: false, keys: genesisNodes.map((n) => n.publicKey.bytes) });

    client.follow(block.header, block.certificate, { managers: c.managersProof() });
    expect(client.managers).toEqual(next.map((m) => m.key));

    // Block 2 certified by the old set: refused by the ledger (4 and 5 are no members now) and the light client.
    const budget = view.chain().verifierBudget;
    expect(budget).toBeGreaterThan(0n);
    expect(refusal(() => c.block([]))).toMatchObject({ code: 'BAD_CERTIFICATE', field: 'certificate[4]' });
    expect(c.ledger.view().chain().height).toBe(1n);
    expect(c.store.branches()).toHaveLength(0);

    // Certified by the new set, proposed by a new manager; its parent certificate is block 1's (the old set's):
    // checked against the set before block 1 and paying all six old voters, the exited ones included.
    c.certifiers = [...genesisNodes.slice(0, 4), ...freshNodes(2)];
    const before = c.ledger.view().account(managerAccount(5).address).abc;
    const second = c.block([], { proposerNode: nodeKey(300) });
    expect(second.block.parentCertificate).toHaveLength(6);
    expect(c.ledger.view().account(managerAccount(5).address).abc - before).toBe(budget / 6n);
    expect(c.ledger.view().account(accountKey(300).address).abc).toBeGreaterThan(0n);

    const oldCertificate = genesisNodes.map((n) => ({
      member: n.publicKey.bytes,
      sig: n.sign(certificateMessage(headerHash(second.block.header))),
    }));
    expect(refusal(() => client.follow(second.block.header, oldCertificate))).toMatchObject({ code: 'BAD_CERTIFICATE' });
    client.follow(second.block.header, second.block.certificate);
    expect(client.height).toBe(2n);

    // A new manager signs manager transactions; an exited one no longer may.
    const ring = (node: Ed25519KeyPair, epoch: bigint) =>
      signManagerTx({ chain: c.chainId, kind: 'ring-change', nonce: 0n, body: { epoch, root: sha256(utf8('map')) } }, node);
    expect(admission(c, ring(managerNode(5), 1n))).toMatchObject({ code: 'NOT_AUTHORISED', field: 'signer.key' });
    const third = c.block([ring(nodeKey(301), 1n)]);
    expect(third.result.outcomes[0]).toMatchObject({ ok: true });
    expect(c.ledger.view().ring().epoch).toBe(1n);
  });

  it('refuses 4 of 6 (quorum ⌊2·6/3⌋ + 1 = 5), forged or misplaced signatures, and other signer classes', () => {
    const c = open();
    const next = [...keep([0, 1, 2]), ...fresh(3)];
    const four = c.managersReconfigure(next, genesisNodes.slice(0, 4));
    expect(admission(c, four)).toMatchObject({ code: 'NOT_AUTHORISED', field: 'sigs' });
    expect(refusal(() => c.block([four]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'NOT_AUTHORISED', field: 'txs[0]' });

    const fields = { chain: c.chainId, kind: 'reconfigure' as const, nonce: 0n, body: { managers: next } };
    const unsigned = unsignedTx(fields, 'managers');
    const shares = genesisNodes.slice(0, 5).map((n, i) => txShare(unsigned, i, n));
    // Share 2 made by a key that is not manager 2.
    const impostor = withSigs(unsigned, shares.map((s, n) => (n === 2 ? txShare(unsigned, 2, nodeKey(77)) : s)));
    expect(admission(c, impostor)).toMatchObject({ code: 'BAD_SIGNATURE', field: 'sigs[2].sig' });
    const flipped = withSigs(unsigned, shares.map((s, n) => (n === 4 ? { i: s.i, sig: s.sig.map((b, k) => (k === 0 ? b ^ 1 : b)) } : s)));
    expect(admission(c, flipped)).toMatchObject({ code: 'BAD_SIGNATURE', field: 'sigs[4].sig' });
    // A real signature of manager 5 filed under index 6: there is no seventh manager.
    const outside = withSigs(unsigned, [...shares.slice(0, 4), txShare(unsigned, 6, managerNode(5))]);
    expect(admission(c, outside)).toMatchObject({ code: 'BAD_FIELD', field: 'sigs[4].i' });
    // Signed for another body (the signatures cover the body).
    const swapped = { ...withSigs(unsigned, shares), body: { managers: keep([0, 1, 2, 3, 4]) } } as Tx;
    expect(admission(c, swapped)).toMatchObject({ code: 'BAD_SIGNATURE' });
    // The genuine one is admissible.
    const view = c.ledger.view();
    expect(() => checkTx(view, view.params(), view.chain(), 0n, withSigs(unsigned, shares), 1000)).not.toThrow();
    expect(admission(c, c.managersReconfigure(next, genesisNodes.slice(0, 5), 1n))).toMatchObject({ code: 'BAD_NONCE', field: 'nonce' });
    const withFee = signManagersTx({ ...fields, fee: 1n }, genesisNodes.slice(0, 5).map((key, index) => ({ index, key })));
    expect(admission(c, withFee)).toMatchObject({ code: 'FEE_TOO_LOW', field: 'fee' });

    // Only reconfigure is signed by the set, and reconfigure by nothing else than the set or the governance keys.
    const setParam = unsignedTx({ chain: c.chainId, kind: 'set-param', nonce: 0n, body: { name: 'minFee', value: 1n } }, 'managers');
    const setParamTx = withSigs(setParam, genesisNodes.map((n, i) => txShare(setParam, i, n)));
    expect(admission(c, setParamTx)).toMatchObject({ code: 'BAD_FIELD', field: 'signer.scheme' });
    expect(admission(c, signManagerTx(fields, managerNode(0)))).toMatchObject({ code: 'BAD_FIELD', field: 'signer.scheme' });
    expect(admission(c, signAccountTx(fields, accountKey(RESERVE)))).toMatchObject({ code: 'BAD_FIELD', field: 'signer.scheme' });
    // The 'managers' scheme carries no key.
    const keyed = encodeTx({ ...withSigs(unsigned, shares), signer: { scheme: 'managers', key: new Uint8Array(32) } });
    expect(refusal(() => decodeTx(keyed))).toMatchObject({ code: 'BAD_FIELD', field: 'signer.key' });
    expect(c.ledger.view().managers().keys).toHaveLength(6);
  });
});

describe('reconfiguration by the governance keys', () => {
  it('2 of 3 install a set, 1 of 3 is refused; both ways share chain.govNonce', () => {
    const c = open();
    const next = [...keep([0, 1, 2, 3, 4]), ...fresh(1)];
    expect(refusal(() => c.block([c.governanceReconfigure(next, [1])]))).toMatchObject({
      code: 'BAD_BLOCK',
      cause: 'NOT_AUTHORISED',
    });
    const { result } = c.block([c.governanceReconfigure(next, [0, 2])]);
    expect(result.outcomes[0]).toMatchObject({ ok: true });
    expect(c.ledger.view().managers().keys).toEqual(next.map((m) => m.key));
    expect(c.ledger.view().previousManagers()).toMatchObject({ height: 1n, recovery: true });

    // The set is now managers 0–4 and node 300: nonce 0 is spent, and 5 of them sign nonce 1.
    c.certifiers = [...genesisNodes.slice(0, 5), nodeKey(300)];
    const signers = [...genesisNodes.slice(0, 4), nodeKey(300)];
    expect(admission(c, c.managersReconfigure(keep([0, 1, 2, 3, 4, 5]), signers, 0n))).toMatchObject({ code: 'BAD_NONCE' });
    // Four members of the new set are not enough (5 of 6 needed).
    expect(admission(c, c.managersReconfigure(keep([0, 1, 2, 3, 4, 5]), genesisNodes.slice(0, 4)))).toMatchObject({
      code: 'NOT_AUTHORISED',
    });
    c.block([c.managersReconfigure(keep([0, 1, 2, 3, 4, 5]), signers)]);
    expect(c.ledger.view().managers().keys).toEqual(genesisNodes.map((n) => n.publicKey.bytes));
    expect(c.ledger.view().node(managerNode(5).publicKey.bytes)?.status).toBe('active');
    expect(c.ledger.view().node(nodeKey(300).publicKey.bytes)?.status).toBe('exited');
    c.certifiers = genesisNodes;
    c.block([]);
    expect(c.ledger.view().chain().govNonce).toBe(2n);
  });
});

describe('reconfiguration effects', () => {
  it('records a body it cannot execute (nonce spent, set unchanged), naming the field', () => {
    const c = open();
    const base = keep([0, 1, 2, 3, 4, 5]);
    const cases: [typeof base, string, string][] = [
      [[...base, base[1]!], 'BAD_FIELD', 'body.managers[6].key'],
      [[{ ...base[0]!, account: 'Anope' }, ...base.slice(1)], 'BAD_FIELD', 'body.managers[0].account'],
      [[{ ...base[0]!, account: ` ${base[0]!.account}` }, ...base.slice(1)], 'BAD_FIELD', 'body.managers[0].account'],
      // A genesis manager bound to another payout account than the one listed.
      [[{ ...base[0]!, account: accountKey(9).address }, ...base.slice(1)], 'BAD_FIELD', 'body.managers[0].account'],
    ];
    for (const [managers, code, field] of cases) {
      const { result } = c.block([c.governanceReconfigure(managers, [0, 1])]);
      expect(result.outcomes[0]).toMatchObject({ ok: false, code, field });
    }
    expect(c.ledger.view().chain().govNonce).toBe(BigInt(cases.length));
    expect(c.ledger.view().managers().keys).toEqual(genesisNodes.map((n) => n.publicKey.bytes));
    expect(c.ledger.view().previousManagers()).toBeUndefined();
  });

  it('admits a registered worker with its deposit, returns the deposit when it leaves, refuses a removed node', () => {
    const c = open();
    const owner = accountKey(5);
    const worker = nodeKey(50);
    const removed = nodeKey(51);
    c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to: owner.address, amount: 1000n * ABC })]);
    c.block([
      c.accountTx(owner, 'register', { node: worker.publicKey.bytes, role: 'worker', hardware: '' }, 0n, worker),
      c.accountTx(owner, 'register', { node: removed.publicKey.bytes, role: 'worker', hardware: '' }, 0n, removed),
    ]);
    c.block([c.managerTx(0, 'remove', { node: removed.publicKey.bytes, cheating: false, reason: 'test' })]);
    const deposit = c.params.depositWorker;
    expect(deposit).toBeGreaterThan(0n);
    const balance = () => c.ledger.view().account(owner.address).abc;
    const afterRegistration = balance();

    const refused = c.block([c.governanceReconfigure([...keep([0, 1, 2, 3, 4, 5]), managerEntry(removed, owner)], [0, 1])]);
    expect(refused.result.outcomes[0]).toMatchObject({ ok: false, code: 'BAD_ROLE', field: 'body.managers[6].key' });

    const seven = [...keep([0, 1, 2, 3, 4, 5]), managerEntry(worker, owner)];
    c.block([c.governanceReconfigure(seven, [0, 1])]);
    expect(c.ledger.view().node(worker.publicKey.bytes)).toMatchObject({ role: 'manager', status: 'active', deposit });

    // Seven managers: quorum ⌊14/3⌋ + 1 = 5. Dropping the worker-turned-manager returns its deposit.
    c.certifiers = [...genesisNodes, worker];
    c.block([c.managersReconfigure(keep([0, 1, 2, 3, 4, 5]), [worker, ...genesisNodes.slice(0, 4)])]);
    expect(c.ledger.view().node(worker.publicKey.bytes)).toMatchObject({ status: 'exited', deposit: 0n });
    expect(balance() - afterRegistration).toBe(deposit);
    c.certifiers = genesisNodes;
    c.block([]);
  });
});

describe('formats around reconfiguration', () => {
  it('allow up to 1024 signatures for the managers class only, distinct governance keys, and one chain per client', () => {
    const c = open();
    const fields = { chain: c.chainId, kind: 'reconfigure' as const, nonce: 0n, body: { managers: keep([0]) } };
    const sig = new Uint8Array(64);
    const many = (scheme: 'managers' | 'governance', count: number) =>
      encodeTx(withSigs(unsignedTx(fields, scheme), Array.from({ length: count }, (_, i) => ({ i, sig }))));
    expect(decodeTx(many('managers', 700)).sigs).toHaveLength(700);
    expect(refusal(() => decodeTx(many('governance', 65)))).toMatchObject({ code: 'BAD_FIELD', field: 'tx.sigs' });
    const highIndex = encodeTx(withSigs(unsignedTx(fields, 'governance'), [{ i: 64, sig }]));
    expect(refusal(() => decodeTx(highIndex))).toMatchObject({ code: 'BAD_FIELD', field: 'tx.sigs[0].i' });

    const g = testGenesis();
    const twice = { ...g, governance: { keys: [g.governance.keys[0]!, g.governance.keys[0]!], threshold: 2 } };
    expect(refusal(() => validateGenesis(twice))).toMatchObject({ code: 'BAD_GENESIS', field: 'governance.keys[1].key' });

    const client = LightClient.fromGenesis(c.genesis, c.store.root());
    const { block } = c.block([]);
    const foreign = { ...block.header, chain: sha256(utf8('another chain')) };
    expect(refusal(() => client.follow(foreign, block.certificate))).toMatchObject({ code: 'WRONG_CHAIN', field: 'header.chain' });
    client.follow(block.header, block.certificate);
  });
});
