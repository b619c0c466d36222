import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  auditIndices,
  BlobError,
  newAuditChallenge,
  segmentDigest,
  type AuditChallenge,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { bytes32 } from './fixtures.ts';

const address = bytes32('address');
const challenge = (nonce: string | number, count = 8): AuditChallenge => ({ address, nonce: bytes32(nonce), count });
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

describe('audit challenges', () => {
  it('take their nonce from the injected randomness and check their fields', () => {
    let calls = 0;
    const random = (n: number) => {
      calls += 1;
      return new Uint8Array(n).fill(7);
    };
    const made = newAuditChallenge(address, 5, random);
    expect(calls).toBe(1);
    expect(made.nonce).toEqual(new Uint8Array(32).fill(7));
    expect(made.address).toEqual(address);
    for (const count of [0, 65, 1.5]) expect(codeOf(() => newAuditChallenge(address, count, random), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => newAuditChallenge(address.subarray(1), 1, random), BlobError)).toBe('MALFORMED');
    expect(codeOf(() => newAuditChallenge(address, 1, (n) => new Uint8Array(n - 1)), BlobError)).toBe('MALFORMED');
  });

  it('pick index_j = first 8 bytes of H(tag, address, nonce, j) mod n (recomputed with node:crypto)', () => {
    const c = challenge('n1', 3);
    const expected = [0, 1, 2].map((j) => {
      const h = createHash('sha256').update('AME-BLOB-AUDIT-INDEX-v1\0').update(address).update(c.nonce).update(u64(j)).digest();
      return Number(h.readBigUInt64BE(0) % 1000n);
    });
    expect(auditIndices(c, 1000)).toEqual(expected);
    expect(auditIndices(c, 0)).toEqual([]);
    expect(auditIndices(c, 1)).toEqual([0, 0, 0]);
  });

  it('pick reproducibly, differently per nonce, and uniformly over the segments', () => {
    expect(auditIndices(challenge('a', 64), 1 << 20)).toEqual(auditIndices(challenge('a', 64), 1 << 20));
    expect(auditIndices(challenge('a', 64), 1 << 20)).not.toEqual(auditIndices(challenge('b', 64), 1 << 20));
    // 313 nonces × 64 picks over 10 segments: ≈ 2003 per segment, σ ≈ 42; the bound is 6σ.
    const counts = new Array<number>(10).fill(0);
    for (let k = 0; k < 313; k++) for (const i of auditIndices(challenge(k, 64), 10)) counts[i]! += 1;
    for (const count of counts) expect(Math.abs(count - (313 * 64) / 10)).toBeLessThan(250);
  });

  it('bind a segment to the nonce, the address and the index in its digest (recomputed with node:crypto)', () => {
    const c = challenge('n1');
    const segment = bytes32('segment');
    const expected = createHash('sha256')
      .update('AME-BLOB-AUDIT-v1\0')
      .update(c.nonce)
      .update(address)
      .update(u64(9))
      .update(segment)
      .digest();
    expect(Buffer.from(segmentDigest(c, 9, segment))).toEqual(expected);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const digest = hex(segmentDigest(c, 9, segment));
    expect(hex(segmentDigest(challenge('n2'), 9, segment))).not.toBe(digest);
    expect(hex(segmentDigest(c, 8, segment))).not.toBe(digest);
    expect(hex(segmentDigest({ ...c, address: bytes32('other') }, 9, segment))).not.toBe(digest);
  });
});
