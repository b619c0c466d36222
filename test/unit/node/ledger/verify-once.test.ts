/**
 * A ledger given a SignatureCache verifies each signature once: building a block (propose) checks what admission
 * did not, applying the decided block checks nothing again, and a channel's session authorisation is verified
 * once for all its settlements. Forged signatures are refused every time. A proposer's draft keeps only what
 * applies, in one pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  authorizeSession,
  Ed25519KeyPair,
  encodeSessionAuthorization,
  sha256,
  SignatureCache,
  utf8,
  verifyAny,
  type VerifySig,
} from '../../../../node/crypto/index.ts';
import { channelId, encodeReceipt, encodeTx, signReceipt, type Tx } from '../../../../node/ledger/index.ts';
import { ABC, accountKey, INVESTORS, managerNode, refusal, RESERVE, TestChain, testGenesis } from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => chain?.close());

function counted(): { cache: SignatureCache; calls: () => number } {
  let calls = 0;
  const verify: VerifySig = (...args) => {
    calls += 1;
    return verifyAny(...args);
  };
  return { cache: new SignatureCache({ verify }), calls: () => calls };
}

/** A chain with a temporary worker registered on an ABC channel the investors' account opened. */
function channelChain(verify: VerifySig) {
  const c = (chain = new TestChain(testGenesis(), { verify }));
  const client = accountKey(INVESTORS);
  const worker = accountKey(10);
  const workerNode = Ed25519KeyPair.fromSeed(sha256(utf8('verify-once worker')));
  c.block([
    c.accountTx(worker, 'register', { node: workerNode.publicKey.bytes, role: 'temporary', hardware: 'pi5' }, 0n, workerNode),
    c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 3n * ABC, payees: [workerNode.publicKey.bytes] }),
  ]);
  const channel = channelId(c.chainId, client.address, 0n);
  const session = Ed25519KeyPair.fromSeed(sha256(utf8('verify-once session')));
  const authorization = encodeSessionAuthorization(authorizeSession(client, session.publicKey, 10_000_000));
  const settle = (amount: bigint, nonce: bigint, sign = session): Tx =>
    c.accountTx(worker, 'channel-settle', {
      receipt: encodeReceipt(signReceipt(sign, { channel, payee: workerNode.publicKey.bytes, amount, nonce })),
      authorization,
    });
  return { c, settle, worker };
}

describe('a ledger with a signature cache', () => {
  it('verifies each signature of a block once across propose and apply, the session authorisation once', () => {
    const { cache, calls } = counted();
    const { c, settle } = channelChain(cache.verify);
    const before = calls();
    // Two settlements: two transaction signatures, two receipts, one authorisation shared by both; and the
    // block's own certificate (six manager signatures). Its parent certificate was checked with the parent.
    const { result } = c.block([settle(1n * ABC, 1n), settle(2n * ABC, 2n)]);
    expect(result.outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(calls() - before).toBe(2 + 2 + 1 + 6);
    const hits = cache.stats().hits;
    expect(hits).toBeGreaterThanOrEqual(2 + 2 + 3);
    // The next settlement needs its own two signatures only (and the new block's certificate).
    const again = calls();
    c.block([settle(3n * ABC, 3n)]);
    expect(calls() - again).toBe(2 + 6);
  });

  it('gives the same results and roots as a ledger verifying every time', () => {
    const { cache } = counted();
    const cached = channelChain(cache.verify);
    const cachedRoot = cached.c.block([cached.settle(1n * ABC, 1n)]).block.header.stateRoot;
    cached.c.close();
    const plain = channelChain(verifyAny);
    expect(plain.c.block([plain.settle(1n * ABC, 1n)]).block.header.stateRoot).toEqual(cachedRoot);
  });

  it('refuses a forged receipt every time it is shown, without remembering it', () => {
    const { cache } = counted();
    const { c, settle } = channelChain(cache.verify);
    const forger = Ed25519KeyPair.fromSeed(sha256(utf8('not the session')));
    const forged = settle(1n * ABC, 1n, forger);
    const first = c.block([forged]);
    expect(first.result.outcomes[0]).toMatchObject({ ok: false, code: 'BAD_SIGNATURE', field: 'body.receipt.sig' });
    // propose and apply each verified the forged receipt: it was not cached.
    const misses = cache.stats().misses;
    const size = cache.stats().size;
    const replay = c.ledger.propose({
      txs: [encodeTx(settle(1n * ABC, 1n, forger))],
      time: c.time + 1000n,
      round: 0n,
      kind: 'final',
      proposer: managerNode(0).publicKey.bytes,
      leaders: [],
      parentCertificate: [],
    });
    expect(replay.txs).toHaveLength(1);
    expect(cache.stats().misses).toBeGreaterThan(misses);
    expect(cache.stats().size).toBe(size + 1); // the new transaction's own (valid) signature only
  });
});

describe('Ledger.propose', () => {
  it('with select leaves out what does not apply in order, in one pass; without it refuses the draft', () => {
    const c = (chain = new TestChain());
    const reserve = accountKey(RESERVE);
    const to = accountKey(9).address;
    const n0 = encodeTx(c.accountTx(reserve, 'transfer', { to, amount: 1n }));
    const n1 = encodeTx(c.accountTx(reserve, 'transfer', { to, amount: 2n }));
    const n2 = encodeTx(c.accountTx(reserve, 'transfer', { to, amount: 3n }));
    const draft = {
      txs: [n2, n0, n1],
      time: 1000n,
      round: 0n,
      kind: 'final' as const,
      proposer: managerNode(0).publicKey.bytes,
      leaders: [managerNode(0).publicKey.bytes],
      parentCertificate: [],
    };
    expect(refusal(() => c.ledger.propose(draft))).toMatchObject({ code: 'BAD_BLOCK', field: 'txs[0]' });
    const block = c.ledger.propose(draft, { select: true });
    expect(block.txs).toEqual([n0, n1]);
    const result = c.ledger.apply({ ...block, certificate: c.certify(block) });
    expect(result.stateRoot).toEqual(block.header.stateRoot);
    expect(c.ledger.view().account(to).abc).toBe(3n);
  });
});
