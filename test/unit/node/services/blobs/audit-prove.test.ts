import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressHex,
  answerAudit,
  auditIndices,
  auditPasses,
  BlobError,
  buildBlob,
  DEFAULT_CHUNK_SIZE,
  MemoryBlobRows,
  merklePath,
  openMemoryBlobStore,
  proveStorage,
  SEGMENT_SIZE,
  segmentLeaf,
  verifyAudit,
  type AuditChallenge,
} from '../../../../../node/services/blobs/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { arbSize, bytes32, content, DEFAULT_EDGE_SIZES, SMALL_CHUNK } from './fixtures.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('answering audits', () => {
  it('an honest holder passes, for any size, content, chunk size and count', () => {
    fc.assert(
      fc.property(arbSize, fc.integer(), fc.integer({ min: 1, max: 64 }), fc.nat(), (size, seed, count, n) => {
        const bytes = content(size, seed);
        const blob = buildBlob(bytes, SMALL_CHUNK);
        const challenge: AuditChallenge = { address: blob.address, nonce: bytes32(n), count };
        const response = proveStorage(challenge, blob.manifest, (i) => blob.chunks[i]!);
        verifyAudit(challenge, response);
        expect(response.size).toBe(size);
        expect(response.proofs.length).toBe(size === 0 ? 0 : count);
        // Each answer is the byte range of its segment, with the path of the segment in the whole tree.
        const leaves: Uint8Array[] = [];
        for (let i = 0; i < size; i += SEGMENT_SIZE) leaves.push(segmentLeaf(bytes.subarray(i, i + SEGMENT_SIZE)));
        for (const proof of response.proofs) {
          expect(proof.segment).toEqual(bytes.subarray(proof.index * SEGMENT_SIZE, (proof.index + 1) * SEGMENT_SIZE));
          expect(proof.path.map(hex)).toEqual(merklePath(leaves, proof.index).map(hex));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('an honest holder passes with the default chunk size at every boundary size', () => {
    for (const [seed, size] of DEFAULT_EDGE_SIZES.entries()) {
      const blob = buildBlob(content(size, seed));
      const challenge: AuditChallenge = { address: blob.address, nonce: bytes32(seed), count: 64 };
      expect(auditPasses(challenge, proveStorage(challenge, blob.manifest, (i) => blob.chunks[i]!))).toBe(true);
    }
    expect(DEFAULT_EDGE_SIZES.at(-1)).toBeGreaterThan(3 * DEFAULT_CHUNK_SIZE);
  });

  it('answers from a store, and cannot answer for what the store does not hold or holds damaged', () => {
    const store = openMemoryBlobStore();
    const blob = buildBlob(content(4 * SMALL_CHUNK, 1), SMALL_CHUNK);
    const challenge = (n: number): AuditChallenge => ({ address: blob.address, nonce: bytes32(n), count: 2 });
    expect(codeOf(() => answerAudit(store, challenge(0)), BlobError)).toBe('NOT_FOUND');
    store.put(blob.address, blob.manifest, blob.chunks);
    for (let n = 0; n < 20; n++) expect(auditPasses(challenge(n), answerAudit(store, challenge(n)))).toBe(true);

    const partial = openMemoryBlobStore();
    partial.putManifest(blob.address, blob.manifest);
    for (const i of [0, 1, 3]) partial.putChunk(blob.address, i, blob.chunks[i]!);
    const rows = new MemoryBlobRows();
    const damaged = openMemoryBlobStore({ rows });
    damaged.put(blob.address, blob.manifest, blob.chunks);
    rows.blobs.get(addressHex(blob.address))!.chunks.get(2)![100]! ^= 1;
    const outcomes = new Set<string | undefined>();
    for (let n = 0; n < 40; n++) {
      // 16 segments, 4 to a chunk: chunk 2 holds segments 8…11.
      const hits = auditIndices(challenge(n), 16).some((i) => Math.floor(i / 4) === 2);
      const code = codeOf(() => answerAudit(partial, challenge(n)), BlobError);
      outcomes.add(code);
      expect(code).toBe(hits ? 'NOT_FOUND' : undefined);
      expect(codeOf(() => answerAudit(damaged, challenge(n)), BlobError)).toBe(hits ? 'CORRUPT' : undefined);
    }
    expect(outcomes).toEqual(new Set([undefined, 'NOT_FOUND']));
  });
});
