import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BlobError,
  buildBlob,
  checkManifest,
  decodeManifest,
  DEFAULT_CHUNK_SIZE,
  encodeManifest,
  MAX_BLOB_SIZE,
  manifestAddress,
  type Manifest,
  verifyManifest,
} from '../../../../../node/services/blobs/index.ts';
import { encodeCbor } from '../../../../../node/wire/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { bytes32, content, flipped, mutation, onlyThrows, SMALL_CHUNK } from './fixtures.ts';

const sample = buildBlob(content(5 * SMALL_CHUNK + 100, 1), SMALL_CHUNK);
const sampleBytes = encodeManifest(sample.manifest);
const raw = (m: Manifest) => ({ v: 1, size: m.size, chunkSize: m.chunkSize, roots: [...m.chunkRoots] });

describe('manifest', () => {
  it('round-trips through its canonical encoding', () => {
    const decoded = decodeManifest(sampleBytes);
    expect(decoded.size).toBe(sample.manifest.size);
    expect(decoded.chunkSize).toBe(SMALL_CHUNK);
    expect(decoded.chunkRoots).toEqual(sample.manifest.chunkRoots);
    expect(encodeManifest(decoded)).toEqual(sampleBytes);
    expect(manifestAddress(decoded)).toEqual(sample.address);
    const empty = buildBlob(new Uint8Array(0));
    expect(decodeManifest(encodeManifest(empty.manifest)).chunkRoots).toEqual([]);
  });

  it('refuses fields that disagree with each other', () => {
    const roots = sample.manifest.chunkRoots;
    const cases: [Manifest, string][] = [
      [{ ...sample.manifest, chunkRoots: roots.slice(1) }, 'MALFORMED'],
      [{ ...sample.manifest, chunkRoots: [...roots, bytes32('x')] }, 'MALFORMED'],
      [{ ...sample.manifest, chunkSize: 3 * 4096 }, 'MALFORMED'],
      [{ ...sample.manifest, chunkRoots: [...roots.slice(1), new Uint8Array(31)] }, 'MALFORMED'],
      [{ size: MAX_BLOB_SIZE + DEFAULT_CHUNK_SIZE, chunkSize: DEFAULT_CHUNK_SIZE, chunkRoots: [] }, 'TOO_LARGE'],
    ];
    for (const [manifest, code] of cases) {
      expect(codeOf(() => checkManifest(manifest), BlobError)).toBe(code);
      expect(codeOf(() => encodeManifest(manifest), BlobError)).toBe(code);
    }
    // The same disagreements arriving as bytes.
    const short = encodeCbor({ ...raw(sample.manifest), roots: roots.slice(1) });
    expect(codeOf(() => decodeManifest(short), BlobError)).toBe('MALFORMED');
    const future = encodeCbor({ ...raw(sample.manifest), v: 2 });
    expect(codeOf(() => decodeManifest(future), BlobError)).toBe('MALFORMED');
    const extra = encodeCbor({ ...raw(sample.manifest), note: 'x' });
    expect(codeOf(() => decodeManifest(extra), BlobError)).toBe('MALFORMED');
  });

  it('leads to its content address, and a changed root leads elsewhere (HASH_MISMATCH)', () => {
    verifyManifest(sample.manifest, sample.address);
    for (let i = 0; i < sample.manifest.chunkRoots.length; i++) {
      const roots = sample.manifest.chunkRoots.map((r, j) => (j === i ? flipped(r, 31) : r));
      expect(codeOf(() => verifyManifest({ ...sample.manifest, chunkRoots: roots }, sample.address), BlobError)).toBe(
        'HASH_MISMATCH',
      );
    }
    const bigger = buildBlob(content(5 * SMALL_CHUNK + 101, 1), SMALL_CHUNK);
    expect(codeOf(() => verifyManifest(bigger.manifest, sample.address), BlobError)).toBe('HASH_MISMATCH');
  });

  it('decoder: 5,000 mutated and 2,000 random inputs throw only BlobError', () => {
    fc.assert(fc.property(mutation(sampleBytes), (bytes) => onlyThrows(BlobError, () => decodeManifest(bytes))), {
      numRuns: 5000,
    });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => onlyThrows(BlobError, () => decodeManifest(bytes))), {
      numRuns: 2000,
    });
  });

  it('decoder: a mutation that still decodes is a manifest whose fields agree', () => {
    fc.assert(
      fc.property(mutation(sampleBytes), (bytes) => {
        let manifest: Manifest;
        try {
          manifest = decodeManifest(bytes);
        } catch (error) {
          if (error instanceof BlobError) return;
          throw error;
        }
        checkManifest(manifest);
        expect(encodeManifest(manifest)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});
