import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { batchRecordHash, decodeBatchRecord, encodeBatchRecord } from '../../../../node/store/service-log-batch.ts';
import { ServiceLogError } from '../../../../node/store/service-log-errors.ts';
import {
  decodeLogProof,
  encodeLogProof,
  type LogProof,
  verifyLogProof,
} from '../../../../node/store/service-log-proof.ts';
import { ServiceLog } from '../../../../node/store/service-log.ts';
import { manualClock, sampleEntry } from './service-log-fixtures.ts';

let log: ServiceLog;
const proofs: LogProof[] = [];

beforeAll(() => {
  const clock = manualClock();
  log = ServiceLog.open({ path: ':memory:', batchSize: 5, now: clock.now });
  for (let i = 1; i <= 13; i += 1) {
    clock.set(1_700_000_000_000 + i * 10);
    log.append(sampleEntry(i));
  }
  log.seal(); // batches of 5, 5, 3
  for (let seq = 1; seq <= 13; seq += 1) proofs.push(log.prove(seq));
});

afterAll(() => log.close());

/** A changed proof must not decode, or must not verify against the trusted record. */
function rejected(bytes: Uint8Array, anchor: Parameters<typeof verifyLogProof>[0]): boolean {
  let proof: LogProof;
  try {
    proof = decodeLogProof(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceLogError);
    expect((error as ServiceLogError).code).toBe('BAD_PROOF');
    return true;
  }
  return !verifyLogProof(anchor, proof);
}

describe('service-log proofs', () => {
  it('verify for every entry against its record and its root', () => {
    for (const proof of proofs) {
      const batch = log.getBatch(proof.batch.index);
      expect(verifyLogProof(batch, proof)).toBe(true);
      expect(verifyLogProof(batch.root, proof)).toBe(true);
      expect(proof.entry).toEqual(log.getEntry(proof.entry.seq));
    }
    // Batch 3 has three entries: the third is promoted on the first level.
    expect(proofs[12]?.path.length).toBe(1);
  });

  it('do not verify against another batch', () => {
    const [first, , , , , sixth] = proofs as [LogProof, LogProof, LogProof, LogProof, LogProof, LogProof];
    expect(verifyLogProof(sixth.batch, first)).toBe(false);
    expect(verifyLogProof(sixth.batch.root, first)).toBe(false);
  });

  it('chain the batch records', () => {
    const [b1, b2, b3] = [1, 2, 3].map((i) => log.getBatch(i));
    expect(toHex(b1?.prevBatchHash ?? new Uint8Array(1))).toBe('00'.repeat(32));
    expect(toHex(b2?.prevBatchHash ?? new Uint8Array())).toBe(toHex(batchRecordHash(b1 ?? proofs[0]!.batch)));
    expect(toHex(b3?.prevBatchHash ?? new Uint8Array())).toBe(toHex(batchRecordHash(b2 ?? proofs[0]!.batch)));
    expect(b3).toMatchObject({
      index: 3,
      firstSeq: 11,
      lastSeq: 13,
      firstTime: 1_700_000_000_110,
      lastTime: 1_700_000_000_130,
    });
    // The first entry of a batch chains from the previous batch's chain hash.
    expect(toHex(proofs[5]!.prevChainHash)).toBe(toHex(b1!.chainHash));
    expect(decodeBatchRecord(encodeBatchRecord(b2!))).toEqual(b2);
  });

  it('round-trip through their encoding', () => {
    for (const proof of proofs) expect(decodeLogProof(encodeLogProof(proof))).toEqual(proof);
  });

  it('fail for any single changed byte, against the batch record', () => {
    for (const proof of [proofs[0]!, proofs[7]!, proofs[12]!]) {
      const batch = proof.batch;
      const bytes = encodeLogProof(proof);
      for (let at = 0; at < bytes.length; at += 1) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const changed = bytes.slice();
          changed[at] = changed[at]! ^ mask;
          expect(rejected(changed, batch), `byte ${at} ^ ${mask}`).toBe(true);
        }
      }
    }
  });

  it('fail for any changed byte of the entry, its hashes or the path, against the root alone', () => {
    const proof = proofs[7]!;
    const bytes = encodeLogProof(proof);
    const entryEnd = 3 + (bytes[1]! << 8) + bytes[2]!;
    const rootAt = entryEnd + 64 + 41;
    const regions = [
      [0, entryEnd + 64], // format, entry, entryHash, prevChainHash
      [entryEnd + 64 + 9, entryEnd + 64 + 25], // firstSeq, lastSeq
      [rootAt, rootAt + 32],
      [entryEnd + 64 + 137, bytes.length], // path
    ] as const;
    for (const [from, to] of regions) {
      for (let at = from; at < to; at += 1) {
        const changed = bytes.slice();
        changed[at] = changed[at]! ^ 0x01;
        expect(rejected(changed, proof.batch.root), `byte ${at}`).toBe(true);
      }
    }
  });

  it('fail under random multi-byte changes, truncations and extensions', () => {
    const encoded = proofs.map(encodeLogProof);
    fc.assert(
      fc.property(
        fc.nat(12),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -40, max: 40 }),
        (which, edits, resize) => {
          const original = encoded[which]!;
          const anchor = proofs[which]!.batch;
          const changed = original.slice();
          for (const [at, mask] of edits) changed[at % changed.length] = changed[at % changed.length]! ^ mask;
          if (toHex(changed) !== toHex(original)) expect(rejected(changed, anchor)).toBe(true);
          const resized =
            resize < 0
              ? original.subarray(0, original.length + resize)
              : new Uint8Array([...original, ...new Uint8Array(resize)]);
          if (resize !== 0) expect(rejected(resized, anchor)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decode random bytes only to BAD_PROOF', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          decodeLogProof(bytes);
        } catch (error) {
          expect((error as ServiceLogError).code).toBe('BAD_PROOF');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('verify returns false, never throws, for malformed objects and anchors', () => {
    const proof = proofs[2]!;
    const broken = [
      { ...proof, path: [...proof.path, new Uint8Array(32)] },
      { ...proof, path: proof.path.slice(1) },
      { ...proof, path: [new Uint8Array(31), ...proof.path.slice(1)] },
      { ...proof, entryHash: new Uint8Array(32) },
      { ...proof, entry: { ...proof.entry, seq: proof.entry.seq + 1 } },
      { ...proof, entry: { ...proof.entry, time: proof.batch.lastTime + 1 } },
      { ...proof, entry: { ...proof.entry, service: 'NOPE' } },
      { ...proof, batch: { ...proof.batch, lastSeq: 0 } },
      { ...proof, path: undefined },
      null,
    ] as unknown as LogProof[];
    for (const bad of broken) {
      expect(verifyLogProof(proof.batch.root, bad)).toBe(false);
      expect(verifyLogProof(proof.batch, bad)).toBe(false);
    }
    expect(verifyLogProof(proof.batch.root.subarray(1), proof)).toBe(false);
    expect(verifyLogProof({ ...proof.batch, index: 9 }, proof)).toBe(false);
  });

  it('refuse to encode a malformed proof', () => {
    const proof = proofs[0]!;
    expect(() => encodeLogProof({ ...proof, entryHash: new Uint8Array(3) })).toThrow(ServiceLogError);
    expect(() => encodeLogProof({ ...proof, path: Array.from({ length: 65 }, () => new Uint8Array(32)) })).toThrow(
      ServiceLogError,
    );
  });
});
