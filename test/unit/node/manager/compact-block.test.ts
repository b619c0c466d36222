/**
 * The compact block body of node/manager/compact-block.ts: what it encodes decodes to the same shell and hashes,
 * the rebuilt block is byte-identical to the original, and any other input — random bytes, CBOR maps near the
 * schema, valid bodies with a flipped byte, a hash list that is not the header's — is NetError BAD_REQUEST.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { BLOCK_KINDS } from '../../../../node/ledger/block.ts';
import { type Block, encodeBlock, txHash, txRoot } from '../../../../node/ledger/index.ts';
import { decodeCompactBlock, encodeCompactBlock, rebuildBlock } from '../../../../node/manager/index.ts';
import { NetError } from '../../../../node/net/index.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { cborValue } from '../../../support/wire-arbitraries.ts';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const certificate = fc.array(fc.record({ member: fc.uint8Array({ minLength: 1, maxLength: 40 }), sig: fc.uint8Array({ minLength: 1, maxLength: 80 }) }), { maxLength: 4 });

/** A block whose header's txRoot is its transactions' (the rest of the header is arbitrary: no ledger rule is checked here). */
const block: fc.Arbitrary<Block> = fc
  .record({
    chain: key32,
    height: u64,
    prevHash: key32,
    round: u64,
    stateRoot: key32,
    time: u64,
    kind: fc.constantFrom(...BLOCK_KINDS),
    proposer: key32,
    leaders: fc.array(key32, { maxLength: 3 }),
    parentCertHash: key32,
    parentCertificate: certificate,
    txs: fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 20 }),
  })
  .map(({ parentCertificate, txs, ...rest }) => ({
    header: { ...rest, txRoot: txRoot(txs.map(txHash)) },
    certificate: [],
    parentCertificate,
    txs,
  }));

/** The typed code a decode ends with (undefined when it decodes); anything untyped fails the property. */
function outcome(bytes: Uint8Array): string | undefined {
  try {
    decodeCompactBlock(bytes);
    return undefined;
  } catch (error) {
    if (error instanceof NetError) return error.code;
    throw error;
  }
}

const lookup = (txs: readonly Uint8Array[]) => {
  const byHash = new Map(txs.map((tx) => [toHex(txHash(tx)), tx]));
  return (hash: Uint8Array) => byHash.get(toHex(hash));
};

describe('compact block bodies', () => {
  it('decode to the shell and hashes they encode, and rebuild the same block bytes from pooled transactions', () => {
    fc.assert(
      fc.property(block, (b) => {
        const compact = decodeCompactBlock(encodeCompactBlock(b));
        expect(compact.shell).toEqual({ ...b, txs: [] });
        expect(compact.txHashes).toEqual(b.txs.map(txHash));
        const rebuilt = rebuildBlock(compact, lookup(b.txs))!;
        expect(encodeBlock(rebuilt)).toEqual(encodeBlock(b));
        // The pooled arrays themselves, not copies: the ledger's memo of decoded transactions is keyed by them.
        rebuilt.txs.forEach((tx, i) => expect(tx).toBe(b.txs[i]));
        if (b.txs.length > 0) expect(rebuildBlock(compact, lookup(b.txs.slice(1)))).toBeUndefined();
      }),
      { numRuns: 200, seed: 152 },
    );
  });

  it('are far smaller than the full body', () => {
    const b = fc.sample(block, { numRuns: 1, seed: 3 })[0]!;
    const txs = Array.from({ length: 20 }, (_, i) => new Uint8Array(3_500).fill(i));
    const sized = { ...b, header: { ...b.header, txRoot: txRoot(txs.map(txHash)) }, txs };
    expect(encodeCompactBlock(sized).length).toBeLessThan(encodeBlock(sized).length / 50);
  });

  it('refuse a hash list that is not the header txRoot, and a shell holding transactions', () => {
    fc.assert(
      fc.property(block.filter((b) => b.txs.length > 1), fc.nat(), (b, k) => {
        const hashes = b.txs.map(txHash);
        const dropped = hashes.filter((_, i) => i !== k % hashes.length);
        const swapped = [hashes[1]!, hashes[0]!, ...hashes.slice(2)];
        for (const list of [dropped, swapped, [...hashes, hashes[0]!]]) {
          if (toHex(txRoot(list)) === toHex(b.header.txRoot)) continue;
          expect(() => decodeCompactBlock(encodeCompactBlock(b, list))).toThrow(/do not match the header txRoot/);
          expect(outcome(encodeCompactBlock(b, list))).toBe('BAD_REQUEST');
        }
        const withTxs = encodeCbor({ shell: encodeBlock(b), txHashes: hashes });
        expect(() => decodeCompactBlock(withTxs)).toThrow(/the shell holds transactions/);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('answer random bytes, near-valid maps and damaged bodies with NetError BAD_REQUEST only', () => {
    const nearValid = fc
      .record(
        {
          shell: fc.oneof(fc.uint8Array({ maxLength: 60 }), block.map((b) => encodeBlock({ ...b, txs: [] })), cborValue),
          txHashes: fc.oneof(fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 4 }), cborValue),
          extra: cborValue,
        },
        { requiredKeys: [] },
      )
      .map((v) => encodeCbor(v as never));
    const damaged = fc.tuple(block, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, flip]) => {
      const bytes = encodeCompactBlock(b).slice();
      bytes[at % bytes.length]! ^= flip;
      return bytes;
    });
    const truncated = fc.tuple(block, fc.nat()).map(([b, n]) => {
      const bytes = encodeCompactBlock(b);
      return bytes.subarray(0, n % bytes.length);
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), nearValid, damaged, truncated), (bytes) => {
        expect([undefined, 'BAD_REQUEST']).toContain(outcome(bytes));
      }),
      { numRuns: 2_000, seed: 11 },
    );
    expect(outcome(Uint8Array.of(0xff, 0x00, 0x13))).toBe('BAD_REQUEST');
  });
});
