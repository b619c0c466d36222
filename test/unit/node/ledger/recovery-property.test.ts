/**
 * Property tests of reconfiguration and recovery certificates: random mutations — of the encoded bytes and of the
 * decoded structure — of a reconfigure transaction (signed by 5 of 6 managers or by 2 of 3 governance keys) and
 * of a recovery-certified block are refused with a LedgerError, never accepted and never another exception, by
 * admission, by Ledger.apply and by a light client. The genuine originals are accepted at the end, so every
 * refusal is the mutation's doing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual } from '../../../../node/crypto/index.ts';
import {
  type Block,
  type Certificate,
  checkTx,
  decodeBlock,
  decodeTx,
  encodeBlock,
  encodeTx,
  headerHash,
  LedgerError,
  LightClient,
  signRecoveryCertificate,
  type Tx,
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
  RESERVE,
  TestChain,
} from '../../../support/ledger-chain.ts';
import { mutation } from '../../../support/mutation.ts';

const genesisNodes = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));
const nextSet = [
  ...[0, 1, 2].map((i) => managerEntry(managerNode(i), managerAccount(i))),
  ...[0, 1, 2].map((i) => managerEntry(nodeKey(300 + i), accountKey(300 + i))),
];

/** Throws unless `fn` throws a LedgerError (a non-ledger exception propagates and fails the property). */
function refusedTyped(fn: () => unknown): boolean {
  try {
    fn();
  } catch (error) {
    if (error instanceof LedgerError) return true;
    throw error;
  }
  return false;
}


const flipBit = (bytes: Uint8Array, at: number, bit: number) =>
  bytes.map((b, i) => (i === at % bytes.length ? b ^ (1 << bit) : b));

/** Two identical chains one block past the genesis (deterministic keys and times). */
function startedChain(): TestChain {
  const c = new TestChain();
  c.block([c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 1n * ABC })]);
  return c;
}

let a: TestChain;
let b: TestChain;
beforeAll(() => {
  a = startedChain();
  b = startedChain();
});
afterAll(() => {
  a.close();
  b.close();
});

describe('mutated reconfigure transactions', () => {
  it('are refused at admission with a LedgerError', () => {
    const view = a.ledger.view();
    const admit = (bytes: Uint8Array) => {
      checkTx(view, view.params(), view.chain(), a.time, decodeTx(bytes, Number(view.params().maxTxBytes)), bytes.length);
    };
    const originals = [a.managersReconfigure(nextSet, genesisNodes.slice(0, 5)), a.governanceReconfigure(nextSet, [0, 1])];
    const encoded = originals.map(encodeTx);

    fc.assert(
      fc.property(
        fc.nat(1).chain((k) => mutation(encoded[k]!, { keepWhole: false }).map((bytes) => ({ k, bytes }))),
        ({ k, bytes }) => {
          fc.pre(!bytesEqual(bytes, encoded[k]!));
          return refusedTyped(() => admit(bytes));
        },
      ),
      { numRuns: 1_500 },
    );

    const structural = fc.oneof(
      fc.record({ t: fc.constant('flip-sig' as const), n: fc.nat(5), at: fc.nat(), bit: fc.nat(7) }),
      fc.record({ t: fc.constant('index' as const), n: fc.nat(5), i: fc.nat(1023) }),
      fc.record({ t: fc.constant('drop' as const), n: fc.nat(5) }),
      fc.record({ t: fc.constant('nonce' as const), nonce: fc.bigInt(0n, 1n << 64n) }),
      fc.record({ t: fc.constant('fee' as const), fee: fc.bigInt(1n, 1n << 20n) }),
      fc.record({ t: fc.constant('scheme' as const), scheme: fc.constantFrom('falcon', 'ecdsa', 'ed25519', 'governance', 'managers') }),
      fc.record({ t: fc.constant('body-key' as const), n: fc.nat(5), at: fc.nat(31), bit: fc.nat(7) }),
      fc.record({ t: fc.constant('body-account' as const), n: fc.nat(5), other: fc.nat(400) }),
      fc.record({ t: fc.constant('chain' as const), at: fc.nat(31), bit: fc.nat(7) }),
    );
    fc.assert(
      fc.property(fc.nat(1), structural, (k, m) => {
        const tx = originals[k]!;
        const sigs = [...tx.sigs];
        const n = 'n' in m ? m.n % sigs.length : 0;
        let mutated: Tx;
        switch (m.t) {
          case 'flip-sig':
            sigs[n] = { ...sigs[n]!, sig: flipBit(sigs[n]!.sig, m.at, m.bit) };
            mutated = { ...tx, sigs };
            break;
          case 'index':
            sigs[n] = { ...sigs[n]!, i: m.i };
            mutated = { ...tx, sigs };
            break;
          case 'drop':
            mutated = { ...tx, sigs: sigs.filter((_, j) => j !== n) };
            break;
          case 'nonce':
            mutated = { ...tx, nonce: m.nonce };
            break;
          case 'fee':
            mutated = { ...tx, fee: m.fee };
            break;
          case 'scheme':
            mutated = { ...tx, signer: { scheme: m.scheme, key: new Uint8Array(0) } } as Tx;
            break;
          case 'body-key':
          case 'body-account': {
            const managers = [...nextSet];
            const entry = managers[m.n % managers.length]!;
            managers[m.n % managers.length] =
              m.t === 'body-key' ? { ...entry, key: flipBit(entry.key, m.at, m.bit) } : { ...entry, account: accountKey(m.other).address };
            mutated = { ...tx, body: { managers } } as Tx;
            break;
          }
          case 'chain':
            mutated = { ...tx, chain: flipBit(tx.chain, m.at, m.bit) };
            break;
        }
        let bytes: Uint8Array;
        try {
          bytes = encodeTx(mutated);
        } catch (error) {
          if (error instanceof LedgerError) return true;
          throw error;
        }
        fc.pre(!bytesEqual(bytes, encoded[k]!));
        return refusedTyped(() => admit(bytes));
      }),
      { numRuns: 800 },
    );
    for (const bytes of encoded) admit(bytes);
  }, 120_000);
});

describe('mutated recovery-certified blocks', () => {
  it('are refused by Ledger.apply and by a light client with a LedgerError', () => {
    const client = LightClient.fromGenesis(a.genesis, a.store.root());
    client.follow(a.lastBlock!.header, a.lastBlock!.certificate);
    const height = a.ledger.view().chain().height;
    const root = a.store.root();

    // The genuine block: a governance reconfigure under a recovery certificate of exactly the threshold (2).
    const proposer = genesisNodes[0]!.publicKey.bytes;
    const proposed = a.ledger.propose({
      txs: [encodeTx(a.governanceReconfigure(nextSet, [0, 2]))],
      time: a.time + 1000n,
      round: 0n,
      kind: 'final',
      proposer,
      leaders: [proposer],
      parentCertificate: a.lastCertificate,
    });
    const genuine: Block = { ...proposed, certificate: signRecoveryCertificate(headerHash(proposed.header), [governanceKey(0), governanceKey(1)]) };
    const encoded = encodeBlock(genuine);
    b.ledger.apply(genuine);
    const proof = b.managersProof();

    const sameForClient = (x: Block) =>
      bytesEqual(headerHash(x.header), headerHash(genuine.header)) &&
      bytesEqual(encodeBlock({ ...x, parentCertificate: [] }), encodeBlock({ ...genuine, parentCertificate: [] }));
    const check = (block: Block): boolean => {
      const ledgerRefused = refusedTyped(() => a.ledger.apply(block));
      // The light client sees no parent certificate: a block that differs only there is the genuine one to it.
      const clientRefused = sameForClient(block) || refusedTyped(() => client.follow(block.header, block.certificate, { txs: block.txs, managers: proof }));
      return ledgerRefused && clientRefused;
    };

    fc.assert(
      fc.property(mutation(encoded, { keepWhole: false }), (bytes) => {
        fc.pre(!bytesEqual(bytes, encoded));
        let block: Block;
        try {
          block = decodeBlock(bytes);
        } catch (error) {
          if (error instanceof LedgerError) return true;
          throw error;
        }
        return check(block);
      }),
      { numRuns: 400 },
    );

    const cert = genuine.certificate;
    const structural = fc.oneof(
      fc.record({ t: fc.constant('flip-sig' as const), n: fc.nat(1), at: fc.nat(), bit: fc.nat(7) }),
      fc.record({ t: fc.constant('flip-member' as const), n: fc.nat(1), at: fc.nat(), bit: fc.nat(7) }),
      fc.record({ t: fc.constant('drop' as const), n: fc.nat(1) }),
      fc.record({ t: fc.constant('duplicate' as const), n: fc.nat(1) }),
      fc.record({ t: fc.constant('member' as const), n: fc.nat(1), who: fc.nat(8) }),
      fc.record({ t: fc.constant('swap-sigs' as const) }),
      fc.record({ t: fc.constant('stranger' as const), who: fc.nat(50) }),
      fc.record({ t: fc.constant('header' as const), field: fc.constantFrom('height', 'round', 'time'), delta: fc.bigInt(1n, 1000n) }),
      fc.record({ t: fc.constant('root' as const), at: fc.nat(31), bit: fc.nat(7) }),
      fc.record({ t: fc.constant('empty-kind' as const) }),
      fc.record({ t: fc.constant('no-txs' as const) }),
    );
    fc.assert(
      fc.property(structural, (m) => {
        let block: Block = genuine;
        const entries: Certificate[number][] = [...cert];
        const n = 'n' in m ? m.n : 0;
        switch (m.t) {
          case 'flip-sig':
            entries[n] = { ...entries[n]!, sig: flipBit(entries[n]!.sig, m.at, m.bit) };
            break;
          case 'flip-member':
            entries[n] = { ...entries[n]!, member: flipBit(entries[n]!.member, m.at, m.bit) };
            break;
          case 'drop':
            entries.splice(n, 1);
            break;
          case 'duplicate':
            entries.push(entries[n]!);
            break;
          case 'member': {
            const others = [governanceKey(2).publicKey, ...genesisNodes.map((x) => x.publicKey.bytes), governanceKey(1 - n).publicKey];
            entries[n] = { ...entries[n]!, member: others[m.who % others.length]! };
            break;
          }
          case 'swap-sigs':
            entries.splice(0, 2, { ...entries[0]!, sig: entries[1]!.sig }, { ...entries[1]!, sig: entries[0]!.sig });
            break;
          case 'stranger':
            entries.splice(1, 1, { member: accountKey(m.who).publicKey, sig: accountKey(m.who).sign(new Uint8Array([1])) });
            break;
          case 'header':
            block = { ...block, header: { ...block.header, [m.field]: block.header[m.field] + m.delta } };
            break;
          case 'root':
            block = { ...block, header: { ...block.header, stateRoot: flipBit(block.header.stateRoot, m.at, m.bit) } };
            break;
          case 'empty-kind':
            block = { ...block, header: { ...block.header, kind: 'empty' } };
            break;
          case 'no-txs':
            block = { ...block, txs: [] };
            break;
        }
        block = { ...block, certificate: entries };
        fc.pre(!bytesEqual(encodeBlock(block), encoded));
        return check(block);
      }),
      { numRuns: 400 },
    );

    expect(a.ledger.view().chain().height).toBe(height);
    expect(a.store.root()).toEqual(root);
    expect(a.store.branches()).toHaveLength(0);
    a.ledger.apply(genuine);
    client.follow(genuine.header, genuine.certificate, { txs: genuine.txs, managers: proof });
    expect(client.managers).toEqual(nextSet.map((x) => x.key));
    expect(a.store.root()).toEqual(b.store.root());
  }, 120_000);
});
