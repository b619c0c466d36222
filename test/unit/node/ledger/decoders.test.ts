/**
 * The decoders of untrusted bytes (transaction, block, header, receipt, genesis) throw nothing but LedgerError:
 * random bytes and mutations (bit flips, truncations, insertions) of valid encodings, 10,000+ inputs each.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, utf8 } from '../../../../node/crypto/index.ts';
import {
  decodeBlock,
  decodeGenesis,
  decodeHeader,
  decodeReceipt,
  decodeTx,
  encodeBlock,
  encodeGenesis,
  encodeReceipt,
  encodeTx,
  LedgerError,
  signReceipt,
  txRoot,
} from '../../../../node/ledger/index.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { accountKey, nodeKey, testGenesis } from '../../../support/ledger-chain.ts';
import { signAccountTx, signManagerTx } from '../../../../node/ledger/index.ts';
import { mutation } from '../../../support/mutation.ts';

const chain = sha256(utf8('chain'));
const samples = {
  tx: encodeTx(
    signAccountTx(
      { chain, kind: 'register', nonce: 3n, fee: 10n, body: { node: nodeKey(1).publicKey.bytes, role: 'worker', hardware: 'x' } },
      accountKey(1),
      nodeKey(1),
    ),
  ),
  receipt: encodeReceipt(
    signReceipt(Ed25519KeyPair.fromSeed(sha256(utf8('s'))), {
      channel: chain,
      payee: nodeKey(2).publicKey.bytes,
      amount: 5n,
      nonce: 1n,
      score: 90,
    }),
  ),
  genesis: encodeGenesis(testGenesis()),
  report: encodeTx(
    signManagerTx(
      {
        chain,
        kind: 'node-report',
        nonce: 4n,
        body: {
          nodes: [
            { node: nodeKey(4).publicKey.bytes, auditsPassed: 3n, auditsFailed: 1n, cheated: true, heartbeatsSeen: 9n, heartbeatsExpected: 10n, served: 70n },
            { node: nodeKey(5).publicKey.bytes, auditsPassed: 0n, auditsFailed: 0n, cheated: false, heartbeatsSeen: 0n, heartbeatsExpected: 0n, served: 1n },
          ],
        },
      },
      nodeKey(6),
    ),
  ),
};
const header = {
  chain,
  height: 1n,
  prevHash: chain,
  round: 0n,
  stateRoot: chain,
  txRoot: txRoot([sha256(samples.tx)]),
  time: 5n,
  kind: 'final' as const,
  proposer: nodeKey(3).publicKey.bytes,
  leaders: [nodeKey(3).publicKey.bytes],
  parentCertHash: chain,
};
const block = encodeBlock({ header, certificate: [{ member: chain, sig: new Uint8Array(64) }], parentCertificate: [], txs: [samples.tx] });
const headerBytes = encodeCbor(header as never);

const decoders: Record<string, [(b: Uint8Array) => unknown, Uint8Array]> = {
  tx: [decodeTx, samples.tx],
  'node-report tx': [decodeTx, samples.report],
  block: [decodeBlock, block],
  header: [decodeHeader, headerBytes],
  receipt: [decodeReceipt, samples.receipt],
  genesis: [decodeGenesis, samples.genesis],
};

function onlyLedgerErrors(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): boolean {
  try {
    decode(bytes);
    return true;
  } catch (error) {
    if (error instanceof LedgerError) return true;
    throw error;
  }
}


describe('decoders of untrusted bytes', () => {
  it('round-trip their valid samples', () => {
    expect(encodeTx(decodeTx(samples.tx))).toEqual(samples.tx);
    expect(encodeTx(decodeTx(samples.report))).toEqual(samples.report);
    expect(encodeBlock(decodeBlock(block))).toEqual(block);
    expect(encodeReceipt(decodeReceipt(samples.receipt))).toEqual(samples.receipt);
    expect(encodeGenesis(decodeGenesis(samples.genesis))).toEqual(samples.genesis);
  });

  for (const [name, [decode, sample]] of Object.entries(decoders)) {
    it(`${name}: 10,000 mutated and 2,000 random inputs throw only LedgerError`, () => {
      fc.assert(fc.property(mutation(sample), (bytes) => onlyLedgerErrors(decode, bytes)), { numRuns: 10_000 });
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyLedgerErrors(decode, bytes)), { numRuns: 2_000 });
    });
  }

  it('names the field of a schema error and refuses an unknown kind', () => {
    const value = { ...(decodeTx(samples.tx) as object), kind: 'mint' };
    try {
      decodeTx(encodeCbor(value as never));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LedgerError);
      expect((error as LedgerError).code).toBe('BAD_FIELD');
      expect((error as LedgerError).field).toBe('tx.kind');
    }
    const noFee = { ...(decodeTx(samples.tx) as object), fee: 'ten' };
    try {
      decodeTx(encodeCbor(noFee as never));
      expect.unreachable();
    } catch (error) {
      expect((error as LedgerError).field).toBe('tx.fee');
    }
    const report = decodeTx(samples.report) as unknown as { body: { nodes: object[] } };
    const { served: _served, ...withoutServed } = report.body.nodes[0] as Record<string, unknown>;
    const noServed = { ...report, body: { nodes: [withoutServed] } };
    try {
      decodeTx(encodeCbor(noServed as never));
      expect.unreachable();
    } catch (error) {
      expect((error as LedgerError).code).toBe('BAD_FIELD');
      expect((error as LedgerError).field).toBe('tx.body.nodes[0].served');
    }
    const empty = { ...report, body: { nodes: [] } };
    expect(() => decodeTx(encodeCbor(empty as never))).toThrow(/tx\.body\.nodes/);
  });
});
