import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTx, encodeTx, LedgerError, TxMemo, txSigningBytes } from '../../../../node/ledger/index.ts';
import { accountKey, RESERVE, TestChain } from '../../../support/ledger-chain.ts';
import { codeOf } from '../../../support/error-code.ts';

function transfers(count: number): Uint8Array[] {
  const c = new TestChain();
  try {
    return Array.from({ length: count }, (_, i) => encodeTx(c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: BigInt(i + 1) })));
  } finally {
    c.close();
  }
}

describe('TxMemo', () => {
  const txs = transfers(3);

  it('decodes as decodeTx does, once per transaction, and remembers the signing bytes', () => {
    const memo = new TxMemo();
    const first = memo.decode(txs[0]!, 4096);
    expect(first).toEqual(decodeTx(txs[0]!, 4096));
    expect(memo.decode(Uint8Array.from(txs[0]!), 4096)).toBe(first);
    expect(memo.decode(txs[1]!, 4096)).not.toBe(first);
    expect(memo.signingBytes(first)).toEqual(txSigningBytes(first));
    expect(memo.signingBytes(first)).toBe(memo.signingBytes(first));
  });

  it('applies the size limit on every call, remembered or not', () => {
    const memo = new TxMemo();
    memo.decode(txs[0]!, 4096);
    expect(() => memo.decode(txs[0]!, 10)).toThrow(LedgerError);
    expect(codeOf(() => memo.decode(txs[0]!, 10), LedgerError)).toBe(codeOf(() => decodeTx(txs[0]!, 10), LedgerError));
  });

  it('keeps at most its capacity, least recently used out', () => {
    const memo = new TxMemo(2);
    const a = memo.decode(txs[0]!, 4096);
    memo.decode(txs[1]!, 4096);
    memo.decode(txs[0]!, 4096);
    memo.decode(txs[2]!, 4096); // evicts txs[1]
    expect(memo.decode(txs[0]!, 4096)).toBe(a);
    const b = memo.decode(txs[1]!, 4096);
    expect(b).toEqual(decodeTx(txs[1]!, 4096));
  });

  it('gives what decodeTx gives for mutated bytes: the same transaction or the same refusal', () => {
    const memo = new TxMemo();
    for (const tx of txs) memo.decode(tx, 4096);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: txs.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, flip) => {
        const bytes = Uint8Array.from(txs[which]!);
        bytes[at % bytes.length]! ^= flip;
        let expected: unknown;
        try {
          expected = decodeTx(bytes, 4096);
        } catch (error) {
          expect(codeOf(() => memo.decode(bytes, 4096), LedgerError)).toBe((error as LedgerError).code);
          return;
        }
        expect(memo.decode(bytes, 4096)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
