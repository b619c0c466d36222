/**
 * Recovery (SPEC §7 "Recovery"): three of six managers are gone, so no quorum (5 of 6) can sign a block or a
 * reconfigure. The governance (recovery) keys of the genesis sign a reconfigure and certify the block holding it
 * with a recovery certificate; Ledger.apply and a light client following from the genesis accept it and move to
 * the new set. A recovery certificate on any other block is refused, and so are forged ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type AccountKey, falconAccountKey } from '../../../../node/crypto/index.ts';
import {
  type Block,
  type Certificate,
  checkInvariants,
  demoParams,
  encodeTx,
  headerHash,
  LightClient,
  recoveryEntry,
  signGovernanceTx,
  signManagersTx,
  signRecoveryCertificate,
  type Tx,
  txHash,
  txRoot,
} from '../../../../node/ledger/index.ts';
import {
  ABC,
  accountKey,
  governanceKey,
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

const genesisNodes = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
const survivors = [0, 1, 2].map((i) => managerEntry(managerNode(i), managerAccount(i)));
const newcomers = [0, 1, 2].map((i) => managerEntry(nodeKey(300 + i), accountKey(300 + i)));
const nextSet = [...survivors, ...newcomers];
const nextNodes = [...genesisNodes.slice(0, 3), nodeKey(300), nodeKey(301), nodeKey(302)];

/** A chain one block past the genesis, and a light client that followed it. */
function started(c: TestChain = new TestChain()): { c: TestChain; client: LightClient } {
  chain = c;
  const client = LightClient.fromGenesis(c.genesis, c.store.root());
  const { block } = c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n * ABC })]);
  client.follow(block.header, block.certificate);
  return { c, client };
}

/** The block manager 0 would propose of `txs` at the tip (not certified, not applied). */
function proposal(c: TestChain, txs: readonly Tx[]): Block {
  c.time += 1000n;
  const proposer = genesisNodes[0]!.publicKey.bytes;
  return c.ledger.propose({
    txs: txs.map(encodeTx),
    time: c.time,
    round: 0n,
    kind: 'final',
    proposer,
    leaders: [proposer],
    parentCertificate: c.lastCertificate,
  });
}

describe('recovery certificates', () => {
  it('install a new set when three of six managers are gone; the ledger and a light client follow', () => {
    const { c, client } = started();
    const alive = genesisNodes.slice(0, 3);
    // Three managers cannot reconfigure (3 of 6, quorum 5) nor certify a block.
    expect(refusal(() => c.block([c.managersReconfigure(nextSet, alive)]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'NOT_AUTHORISED' });
    c.certifiers = alive;
    expect(refusal(() => c.block([]))).toMatchObject({ code: 'BAD_CERTIFICATE', field: 'certificate' });

    const rewardPoolBefore = c.ledger.view().pools().rewardPool;
    const oldVersion = c.store.head();
    const { block, result } = c.block([c.governanceReconfigure(nextSet, [0, 2])], {
      certificate: (b) => c.recoveryCertificate(b, [0, 1]),
    });
    expect(result.outcomes[0]).toMatchObject({ ok: true });
    expect(block.certificate[0]!.member).toEqual(governanceKey(0).publicKey);
    expect(c.ledger.view().managers().keys).toEqual(nextSet.map((m) => m.key));
    expect(c.ledger.view().previousManagers()).toMatchObject({ height: 2n, recovery: true });
    expect(c.ledger.view().pools().rewardPool).toBeLessThan(rewardPoolBefore);

    // The light client needs the block's transactions and a proof of the set after it.
    expect(refusal(() => client.follow(block.header, block.certificate))).toMatchObject({ code: 'BAD_CERTIFICATE' });
    expect(refusal(() => client.follow(block.header, block.certificate, { txs: block.txs }))).toMatchObject({ code: 'BAD_CERTIFICATE' });
    const oldProof = c.managersProof(oldVersion);
    expect(refusal(() => client.follow(block.header, block.certificate, { txs: block.txs, managers: oldProof }))).toMatchObject({
      code: 'BAD_PROOF',
    });
    expect(refusal(() => client.follow(block.header, block.certificate, { txs: [], managers: c.managersProof() }))).toMatchObject({
      code: 'BAD_BLOCK',
      field: 'header.txRoot',
    });
    // A client that knows no recovery keys takes the certificate for a (failed) manager certificate.
    const legacy = new LightClient(c.chainId, new Uint8Array(32), genesisNodes.map((n) => n.publicKey.bytes));
    expect(refusal(() => legacy.follow({ ...block.header, height: 1n, prevHash: c.chainId }, block.certificate))).toMatchObject({
      code: 'BAD_CERTIFICATE',
      field: 'certificate[0]',
    });
    expect(client.height).toBe(1n);
    client.follow(block.header, block.certificate, { txs: block.txs, managers: c.managersProof() });
    expect(client.managers).toEqual(nextSet.map((m) => m.key));

    // The next block carries the recovery certificate as its parent certificate: it pays nobody.
    c.certifiers = nextNodes;
    const before = c.ledger.view().account(managerAccount(1).address).abc;
    const budget = c.ledger.view().chain().verifierBudget;
    expect(budget).toBeGreaterThan(0n);
    const after = c.block([], { proposerNode: nodeKey(301) });
    expect(after.block.parentCertificate).toEqual(block.certificate);
    expect(c.ledger.view().account(managerAccount(1).address).abc).toBe(before);
    client.follow(after.block.header, after.block.certificate);

    // The old set no longer certifies.
    c.certifiers = genesisNodes;
    expect(refusal(() => c.block([]))).toMatchObject({ code: 'BAD_CERTIFICATE' });
    c.certifiers = nextNodes;
    const third = c.block([]);
    client.follow(third.block.header, third.block.certificate);
    expect(client.height).toBe(c.ledger.view().chain().height);
  });

  it('are refused on a block without a governance reconfigure, or whose reconfigure did not install its set', () => {
    const { c, client } = started();
    const recovery = { certificate: (b: Block) => c.recoveryCertificate(b, [0, 1]) };
    const transfer = c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n });
    const height = c.ledger.view().chain().height;
    const root = c.store.root();
    const notAllowed = { code: 'BAD_CERTIFICATE', field: 'certificate' };
    expect(refusal(() => c.block([transfer], recovery))).toMatchObject(notAllowed);
    expect(refusal(() => c.block([], recovery))).toMatchObject(notAllowed);
    expect(refusal(() => c.block([], { ...recovery, kind: 'empty' }))).toMatchObject(notAllowed);
    // Reconfigured by the managers (5 of 6), not by the governance keys.
    const byManagers = c.managersReconfigure(nextSet, genesisNodes.slice(0, 5));
    expect(refusal(() => c.block([byManagers], recovery))).toMatchObject(notAllowed);
    // A governance reconfigure that fails (a key listed twice) installs nothing.
    const failing = c.governanceReconfigure([...nextSet, nextSet[0]!], [0, 1]);
    expect(refusal(() => c.block([failing], recovery))).toMatchObject({ code: 'BAD_CERTIFICATE', field: 'txs[0]' });
    // The set named by the governance reconfigure is replaced again later in the block.
    const again = signManagersTx(
      { chain: c.chainId, kind: 'reconfigure', nonce: 1n, body: { managers: survivors.concat(newcomers.slice(0, 2)) } },
      nextNodes.slice(0, 5).map((key, index) => ({ index, key })),
    );
    expect(refusal(() => c.block([c.governanceReconfigure(nextSet, [0, 1]), again], recovery))).toMatchObject({
      code: 'BAD_CERTIFICATE',
      field: 'txs[0]',
    });
    expect(c.ledger.view().chain().height).toBe(height);
    expect(c.store.root()).toEqual(root);
    expect(c.store.branches()).toHaveLength(0);

    // The light client refuses the same: a recovery certificate over a block of transfers.
    const { block } = c.block([transfer]);
    const forged = c.recoveryCertificate(block, [0, 1]);
    expect(refusal(() => client.follow(block.header, forged, { txs: block.txs, managers: c.managersProof() }))).toMatchObject(notAllowed);
    client.follow(block.header, block.certificate);

    // And a block whose set after it is not the one its governance reconfigure names, given a genuine proof of
    // that set (the block applied here without its certificate check, as a replay would).
    const twice = proposal(c, [c.governanceReconfigure(nextSet, [0, 1]), again]);
    c.ledger.apply({ ...twice, certificate: [] }, { certified: false });
    const proof = c.managersProof();
    const certificate = c.recoveryCertificate(twice, [0, 1]);
    expect(refusal(() => client.follow(twice.header, certificate, { txs: twice.txs, managers: proof }))).toMatchObject({
      code: 'BAD_CERTIFICATE',
      field: 'txs[0]',
    });
    expect(client.height).toBe(block.header.height);
  });

  it('refuses forged, short, repeated and mixed recovery certificates', () => {
    const { c, client } = started();
    const tx = c.governanceReconfigure(nextSet, [0, 1]);
    const proposed = proposal(c, [tx]);
    const hash = headerHash(proposed.header);
    const good = signRecoveryCertificate(hash, [governanceKey(0), governanceKey(2)]);
    const flip = (sig: Uint8Array) => sig.map((b, i) => (i === 5 ? b ^ 0x10 : b));
    const other = c.ledger.propose({ txs: [], time: c.time + 5n, round: 0n, kind: 'final', proposer: genesisNodes[0]!.publicKey.bytes, leaders: [], parentCertificate: [] });
    const cases: [string, Certificate, string][] = [
      ['flipped signature', [good[0]!, { ...good[1]!, sig: flip(good[1]!.sig) }], 'certificate[1]'],
      ['one key of a threshold of two', [good[0]!], 'certificate'],
      ['the same key twice', [good[0]!, good[0]!], 'certificate[1]'],
      ['a manager among recovery keys', [good[0]!, { member: genesisNodes[0]!.publicKey.bytes, sig: good[1]!.sig }], 'certificate[1]'],
      ['signed over another header', signRecoveryCertificate(headerHash(other.header), [governanceKey(0), governanceKey(2)]), 'certificate[0]'],
      ["key 0's signature filed under key 2", [good[0]!, { member: governanceKey(2).publicKey, sig: good[0]!.sig }], 'certificate[1]'],
    ];
    for (const [what, certificate, field] of cases) {
      const block = { ...proposed, certificate };
      expect(refusal(() => c.ledger.apply(block)), what).toMatchObject({ code: 'BAD_CERTIFICATE', field });
      expect(
        refusal(() => client.follow(block.header, certificate, { txs: block.txs, managers: c.managersProof() })),
        what,
      ).toMatchObject({ code: 'BAD_CERTIFICATE' });
    }
    // A recovery key that is not the genesis's, first in the certificate: read as a manager certificate.
    const stranger: AccountKey = accountKey(77);
    expect(refusal(() => c.ledger.apply({ ...proposed, certificate: [recoveryEntry(hash, stranger), good[0]!] }))).toMatchObject({
      code: 'BAD_CERTIFICATE',
      field: 'certificate[0]',
    });
    // The genuine certificate is accepted.
    c.ledger.apply({ ...proposed, certificate: good });
    checkInvariants(c.store);
    expect(c.ledger.view().managers().keys).toEqual(nextSet.map((m) => m.key));

    // The light client checks the reconfigure's own signatures: one governance key of two is not enough, even
    // under a valid recovery certificate over a header committing to it and a genuine proof of the new set.
    const weak = encodeTx(c.governanceReconfigure(nextSet, [1], 0n));
    const header = { ...proposed.header, txRoot: txRoot([txHash(weak)]) };
    const certificate = signRecoveryCertificate(headerHash(header), [governanceKey(0), governanceKey(1)]);
    expect(refusal(() => client.follow(header, certificate, { txs: [weak], managers: c.managersProof() }))).toMatchObject({
      code: 'BAD_CERTIFICATE',
      field: 'txs[0]',
      cause: 'NOT_AUTHORISED',
    });
    client.follow(proposed.header, good, { txs: proposed.txs, managers: c.managersProof() });
    expect(client.managers).toEqual(nextSet.map((m) => m.key));
  });

  it('refuses a recovery certificate as the parent certificate of a block the managers certified', () => {
    const { c } = started();
    // Block 1 was certified by the managers; a recovery certificate of it as block 2's parent certificate is refused.
    c.lastCertificate = c.recoveryCertificate(c.lastBlock!, [0, 1]);
    expect(refusal(() => c.block([]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_CERTIFICATE', field: 'parentCertificate' });
    // After a reconfigure by the managers too (the set changed, but not by the recovery keys).
    c.lastCertificate = c.certify(c.lastBlock!);
    c.block([c.managersReconfigure(nextSet, genesisNodes.slice(0, 5))]);
    c.certifiers = nextNodes;
    c.lastCertificate = c.recoveryCertificate(c.lastBlock!, [0, 1]);
    expect(refusal(() => c.block([]))).toMatchObject({ code: 'BAD_BLOCK', cause: 'BAD_CERTIFICATE', field: 'parentCertificate' });
    // Its genuine certificate (by the set before it) is accepted.
    c.certifiers = genesisNodes;
    c.lastCertificate = c.certify(c.lastBlock!);
    c.certifiers = nextNodes;
    c.block([]);
  });

  it('work with Falcon recovery keys', () => {
    const falcon = falconAccountKey(new Uint8Array(48).fill(7));
    const g = testGenesis({ ...demoParams, blockLimitBytes: 65_536n });
    const keys = [falcon, governanceKey(1), governanceKey(2)];
    const genesis = { ...g, governance: { keys: keys.map((k) => ({ scheme: k.scheme, key: k.publicKey })), threshold: 2 } };
    const { c, client } = started(new TestChain(genesis));
    const tx = signGovernanceTx(
      { chain: c.chainId, kind: 'reconfigure', nonce: 0n, body: { managers: nextSet } },
      [0, 2].map((index) => ({ index, key: keys[index]! })),
    );
    const { block } = c.block([tx], { certificate: (b) => signRecoveryCertificate(headerHash(b.header), [falcon, keys[1]!]) });
    expect(block.certificate[0]!.sig.length).toBeGreaterThan(64);
    client.follow(block.header, block.certificate, { txs: block.txs, managers: c.managersProof() });
    expect(client.managers).toEqual(nextSet.map((m) => m.key));
  });
});
