/**
 * The auditor against dishonest holders. The blob: 16 segments in 4 chunks of 4 (SMALL_CHUNK). A holder missing
 * b of the n = 16 segments passes a challenge of `count` picks only if no pick lands on them, so it is caught
 * with probability 1 − (1 − b/n)^count (audit.ts). Nonces are deterministic, so the rates below are exact
 * reproducible counts, checked against that formula within 5σ of the binomial.
 */
import { describe, expect, it } from 'vitest';
import {
  auditIndices,
  auditPasses,
  BlobError,
  buildBlob,
  proveStorage,
  segmentDigest,
  verifyAudit,
  type AuditChallenge,
  type AuditResponse,
  type ChunkReader,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { bytes32, content, flipped, SMALL_CHUNK } from './fixtures.ts';

const SEGMENTS = 16;
const bytes = content(4 * SMALL_CHUNK, 11);
const blob = buildBlob(bytes, SMALL_CHUNK);
const challenge = (n: number | string, count: number, address = blob.address): AuditChallenge => ({
  address,
  nonce: bytes32(`nonce ${n}`),
  count,
});
const honest: ChunkReader = (i) => blob.chunks[i]!;
const answer = (c: AuditChallenge, read: ChunkReader = honest) => proveStorage(c, blob.manifest, read);

/** Runs `trials` challenges against `read`; checks that each fails exactly when a pick lands in `bad`. */
function caughtCount(read: ChunkReader, bad: (segment: number) => boolean, count: number, trials: number): number {
  let caught = 0;
  for (let n = 0; n < trials; n++) {
    const c = challenge(n, count);
    const hit = auditIndices(c, SEGMENTS).some(bad);
    const passed = auditPasses(c, answer(c, read));
    expect(passed).toBe(!hit);
    if (!passed) caught += 1;
  }
  return caught;
}

function expectRate(caught: number, trials: number, p: number): void {
  const sigma = Math.sqrt(trials * p * (1 - p));
  expect(Math.abs(caught - trials * p)).toBeLessThan(5 * sigma);
}

describe('auditing', () => {
  it('catches a holder that dropped a chunk exactly when a pick hits it: 1 − (3/4)^2 = 43.75 % at count 2', () => {
    // Without chunk 2 the holder answers with zeros of the right length (any other filler fails the same way).
    const dropped: ChunkReader = (i) => (i === 2 ? new Uint8Array(SMALL_CHUNK) : blob.chunks[i]!);
    const inChunk2 = (s: number) => s >= 8 && s < 12;
    expectRate(caughtCount(dropped, inChunk2, 2, 2000), 2000, 1 - (3 / 4) ** 2);
    const borrowed: ChunkReader = (i) => blob.chunks[i === 2 ? 1 : i]!;
    caughtCount(borrowed, inChunk2, 2, 200);
  });

  it('catches a holder with one damaged segment exactly when a pick hits it: 1 − (15/16)^4 ≈ 22.7 % at count 4', () => {
    // The strongest such holder: it kept every hash of the tree and lost only the bytes of segment 5 (the second
    // of chunk 1), so only a pick of segment 5 itself can expose it.
    const damagedSegment = flipped(bytes.subarray(5 * 4096, 6 * 4096), 17, 2);
    const cheat = (c: AuditChallenge): AuditResponse => {
      const honestAnswer = answer(c);
      return {
        ...honestAnswer,
        proofs: honestAnswer.proofs.map((p) =>
          p.index === 5 ? { ...p, segment: damagedSegment, digest: segmentDigest(c, 5, damagedSegment) } : p,
        ),
      };
    };
    let caught = 0;
    for (let n = 0; n < 2000; n++) {
      const c = challenge(n, 4);
      const passed = auditPasses(c, cheat(c));
      expect(passed).toBe(!auditIndices(c, SEGMENTS).includes(5));
      if (!passed) caught += 1;
    }
    expectRate(caught, 2000, 1 - (15 / 16) ** 4);
  });

  it('catches a holder that rebuilds its paths from a damaged chunk whenever a pick lands in that chunk', () => {
    // Its in-chunk paths hash the damaged leaf too: 1 − (3/4)^4 ≈ 68 % at count 4.
    const damaged: ChunkReader = (i) => (i === 1 ? flipped(blob.chunks[1]!, 4096 + 17, 2) : blob.chunks[i]!);
    expectRate(caughtCount(damaged, (s) => s >= 4 && s < 8, 4, 1000), 1000, 1 - (3 / 4) ** 4);
  });

  it('at the maximum count, picks land in one dropped 256 KiB chunk of a 4 MiB blob 1 − (15/16)^64 ≈ 98.4 % of the time', () => {
    // The tests above show that a holder is caught exactly when a pick lands in what it lost; this checks the
    // rate of that at the scale a manager audits: 1024 segments, 64 of them lost, 64 picks.
    const address = bytes32('4 MiB blob');
    let hit = 0;
    for (let n = 0; n < 2000; n++) {
      if (auditIndices(challenge(n, 64, address), 1024).some((s) => s >= 320 && s < 384)) hit += 1;
    }
    expectRate(hit, 2000, 1 - (15 / 16) ** 64);
  });

  it('refuses a response replayed for another nonce, even where the picks coincide', () => {
    const one = buildBlob(content(100, 3), SMALL_CHUNK);
    const first: AuditChallenge = { address: one.address, nonce: bytes32('first'), count: 3 };
    const second: AuditChallenge = { ...first, nonce: bytes32('second') };
    const response = proveStorage(first, one.manifest, (i) => one.chunks[i]!);
    expect(auditIndices(first, 1)).toEqual(auditIndices(second, 1));
    expect(auditPasses(first, response)).toBe(true);
    expect(codeOf(() => verifyAudit(second, response), BlobError)).toBe('BAD_PROOF');
    for (let n = 1; n < 50; n++) expect(auditPasses(challenge(n, 8), answer(challenge(0, 8)))).toBe(false);
    expect(auditPasses(challenge(0, 7), answer(challenge(0, 8)))).toBe(false);
  });

  it('refuses forged Merkle paths and every other doctored field', () => {
    const c = challenge('forge', 4);
    const good = answer(c);
    expect(auditPasses(c, good)).toBe(true);
    const withProof = (j: number, change: (p: AuditResponse['proofs'][number]) => object): AuditResponse => ({
      ...good,
      proofs: good.proofs.map((p, k) => (k === j ? { ...p, ...change(p) } : p)),
    });
    const forged: AuditResponse[] = [];
    for (let j = 0; j < good.proofs.length; j++) {
      const p = good.proofs[j]!;
      for (let s = 0; s < p.path.length; s++) {
        forged.push(withProof(j, (q) => ({ path: q.path.map((h, t) => (t === s ? flipped(h, 9) : h)) })));
      }
      forged.push(withProof(j, (q) => ({ path: q.path.slice(1) })));
      forged.push(withProof(j, (q) => ({ path: [...q.path, bytes32('extra')] })));
      forged.push(withProof(j, (q) => ({ path: [...q.path].reverse() })));
      // A segment changed with its digest recomputed: only the path can catch it.
      const segment = flipped(p.segment, 0);
      forged.push(withProof(j, () => ({ segment, digest: segmentDigest(c, p.index, segment) })));
      forged.push(withProof(j, (q) => ({ digest: flipped(q.digest, 0) })));
      forged.push(withProof(j, (q) => ({ index: (q.index + 1) % SEGMENTS })));
      forged.push(withProof(j, (q) => ({ segment: q.segment.subarray(1) })));
    }
    forged.push({ ...good, proofs: good.proofs.slice(1) });
    forged.push({ ...good, proofs: [...good.proofs].reverse() });
    forged.push({ ...good, size: good.size - 1 });
    forged.push({ ...good, size: good.size + 1 });
    forged.push({ size: 0, proofs: [] });
    forged.push({ ...good, size: -1 });
    for (const response of forged) expect(codeOf(() => verifyAudit(c, response), BlobError)).toBe('BAD_PROOF');
  });

  it('refuses the honest answer for another blob of the same size', () => {
    const other = buildBlob(content(4 * SMALL_CHUNK, 12), SMALL_CHUNK);
    const c = challenge('x', 4);
    const foreign = proveStorage({ ...c, address: other.address }, other.manifest, (i) => other.chunks[i]!);
    expect(auditPasses(c, foreign)).toBe(false);
  });

  it('settles the empty blob with no segments, and refuses "empty" for a blob that is not', () => {
    const empty = buildBlob(new Uint8Array(0));
    const c = challenge('e', 5, empty.address);
    const response = proveStorage(c, empty.manifest, () => new Uint8Array());
    expect(response).toEqual({ size: 0, proofs: [] });
    expect(auditPasses(c, response)).toBe(true);
    expect(auditPasses(challenge('e', 5), response)).toBe(false);
  });
});
