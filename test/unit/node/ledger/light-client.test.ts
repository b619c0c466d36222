/**
 * What a light client (a device) must refuse, beyond the happy path in ledger.test.ts: a header whose content was
 * changed under a genuine certificate, a certificate with forged signatures, and a genuine proof of an old state
 * offered against the current root.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountPath, LedgerError, LightClient, stateKey } from '../../../../node/ledger/index.ts';
import { ABC, accountKey, RESERVE, TestChain } from '../../../support/ledger-chain.ts';

let chain: TestChain | undefined;
afterEach(() => chain?.close());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
  return undefined;
}

describe('light client refusals', () => {
  it('refuses a forged header, a forged certificate and a proof against another root', () => {
    const c = (chain = new TestChain());
    const client = new LightClient(c.chainId, c.store.root(), c.genesis.managers.map((m) => m.key));
    const to = accountKey(9).address;
    const pay = () => c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })]);

    const first = pay();
    const oldVersion = c.store.head();
    client.follow(first.block.header, first.block.certificate);
    const second = pay();

    // The state root changed (a header claiming another state) under the genuine certificate of the block.
    const forgedRoot = Uint8Array.from(second.block.header.stateRoot).map((b, i) => (i === 0 ? b ^ 1 : b));
    expect(codeOf(() => client.follow({ ...second.block.header, stateRoot: forgedRoot }, second.block.certificate))).toBe(
      'BAD_CERTIFICATE',
    );
    // Every signature replaced by random bytes of the right length.
    const forgedCertificate = second.block.certificate.map((entry) => ({
      ...entry,
      sig: Uint8Array.from(entry.sig).map((b) => b ^ 0x5a),
    }));
    expect(codeOf(() => client.follow(second.block.header, forgedCertificate))).toBe('BAD_CERTIFICATE');
    expect(client.height).toBe(1n);

    client.follow(second.block.header, second.block.certificate);
    // A genuine proof, but of the state after block 1 (1 ABC), offered against the root after block 2 (2 ABC).
    const stale = c.store.prove(stateKey(accountPath(to)), oldVersion);
    expect(codeOf(() => client.account(to, stale))).toBe('BAD_PROOF');
    expect(client.account(to, c.store.prove(stateKey(accountPath(to))))?.abc).toBe(2n * ABC);
  });
});

describe('light client checkpoints', () => {
  it('resumes at a saved head and follows on from it, and refuses a checkpoint of another chain', () => {
    const c = (chain = new TestChain());
    const client = LightClient.fromGenesis(c.genesis, c.store.root());
    const to = accountKey(9).address;
    const pay = () => c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to, amount: 1n * ABC })]);
    const first = pay();
    client.follow(first.block.header, first.block.certificate);
    const saved = client.checkpoint();
    expect(saved.height).toBe(1n);

    const second = pay();
    // The genesis root given does not matter past height 0: the checkpoint's state root is the one proofs meet.
    const resumed = LightClient.resume(c.genesis, new Uint8Array(32), saved);
    expect(resumed.height).toBe(1n);
    // It holds the head it was given: the next header links to it, a replayed one does not.
    expect(codeOf(() => resumed.follow(first.block.header, first.block.certificate))).toBe('BAD_BLOCK');
    resumed.follow(second.block.header, second.block.certificate);
    expect(resumed.account(to, c.store.prove(stateKey(accountPath(to))))?.abc).toBe(2n * ABC);
    // A checkpoint of height 0 is the genesis itself.
    expect(LightClient.resume(c.genesis, c.store.root(), { ...saved, height: 0n }).height).toBe(0n);

    expect(codeOf(() => LightClient.resume(c.genesis, c.store.root(), { ...saved, chainId: new Uint8Array(32).fill(1) }))).toBe('WRONG_CHAIN');
    expect(codeOf(() => LightClient.resume(c.genesis, c.store.root(), { ...saved, managers: [] }))).toBe('BAD_FIELD');
    expect(codeOf(() => LightClient.resume(c.genesis, c.store.root(), { ...saved, hash: new Uint8Array(3) }))).toBe('BAD_FIELD');
  });
});
