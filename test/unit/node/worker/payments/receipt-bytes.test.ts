/**
 * receipt-bytes: the payer's one-pass encoding is exactly the ledger's encodeReceipt(signReceipt(...)), and the
 * payee's slice is exactly the ledger's receiptSigningBytes — for any fields, with or without a score; bytes laid
 * out otherwise fall back to encoding the fields again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ed25519KeyPair } from '../../../../../node/crypto/index.ts';
import { decodeReceipt, encodeReceipt, type Receipt, type ReceiptFields, receiptSigningBytes, signReceipt } from '../../../../../node/ledger/index.ts';
import { receiptSignedBytes, signedReceiptBytes } from '../../../../../node/worker/payments/index.ts';
import { seeded } from './payments-fixtures.ts';

const session = Ed25519KeyPair.fromSeed(seeded('receipt bytes session'));
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const fieldsArb: fc.Arbitrary<ReceiptFields> = fc
  .record({
    channel: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    payee: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    amount: u64,
    nonce: u64,
    score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  })
  .map(({ score, ...rest }) => (score === undefined ? rest : { ...rest, score }));

describe('receipt bytes', () => {
  it("signs and encodes exactly as the ledger's encodeReceipt(signReceipt()), and slices exactly what it signs", () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const bytes = signedReceiptBytes(session, fields);
        expect(bytes).toEqual(encodeReceipt(signReceipt(session, fields)));
        const receipt = decodeReceipt(bytes);
        expect(receiptSignedBytes(bytes, receipt)).toEqual(receiptSigningBytes(receipt.fields));
        expect(session.publicKey.verify(receiptSignedBytes(bytes, receipt), receipt.sig)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes the fields again for bytes that are not a receipt laid out canonically', () => {
    const fields: ReceiptFields = { channel: seeded('c'), payee: seeded('p'), amount: 5n, nonce: 1n };
    const receipt: Receipt = signReceipt(session, fields);
    const bytes = encodeReceipt(receipt);
    for (const other of [bytes.slice(1), Uint8Array.from([...bytes, 0]), new Uint8Array(0), Uint8Array.of(0xa2, 0x61)]) {
      expect(receiptSignedBytes(other, receipt)).toEqual(receiptSigningBytes(fields));
    }
  });
});
