import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auditPasses,
  BlobError,
  buildBlob,
  decodeAuditChallenge,
  decodeAuditResponse,
  encodeAuditChallenge,
  encodeAuditResponse,
  proveStorage,
  type AuditChallenge,
} from '../../../../../node/services/blobs/index.ts';
import { encodeCbor } from '../../../../../node/wire/index.ts';
import { codeOf } from '../../../../support/error-code.ts';
import { bytes32, content, mutation, onlyThrows, SMALL_CHUNK } from './fixtures.ts';

const small = buildBlob(content(60, 1), SMALL_CHUNK);
const smallChallenge: AuditChallenge = { address: small.address, nonce: bytes32('n'), count: 3 };
const smallResponse = proveStorage(smallChallenge, small.manifest, (i) => small.chunks[i]!);
// Two segments, the second 10 bytes long: paths of one sibling.
const two = buildBlob(content(4096 + 10, 2), SMALL_CHUNK);
const twoChallenge: AuditChallenge = { address: two.address, nonce: bytes32('m'), count: 2 };
const twoResponse = proveStorage(twoChallenge, two.manifest, (i) => two.chunks[i]!);

const challengeBytes = encodeAuditChallenge(smallChallenge);
const responseBytes = encodeAuditResponse(smallResponse);
const twoBytes = encodeAuditResponse(twoResponse);

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('audit codec', () => {
  it('round-trips challenges and responses canonically', () => {
    expect(decodeAuditChallenge(challengeBytes)).toEqual(smallChallenge);
    expect(encodeAuditChallenge(decodeAuditChallenge(challengeBytes))).toEqual(challengeBytes);
    expect(decodeAuditResponse(responseBytes)).toEqual(smallResponse);
    expect(encodeAuditResponse(decodeAuditResponse(twoBytes))).toEqual(twoBytes);
    expect(auditPasses(twoChallenge, decodeAuditResponse(twoBytes))).toBe(true);
  });

  it('refuses challenges with fields out of range or unknown', () => {
    const raw = { address: small.address, nonce: bytes32('n'), count: 3 };
    for (const bad of [
      { ...raw, count: 0 },
      { ...raw, count: 65 },
      { ...raw, nonce: new Uint8Array(31) },
      { ...raw, address: new Uint8Array(33) },
      { ...raw, extra: 1 },
    ]) {
      expect(codeOf(() => decodeAuditChallenge(encodeCbor(bad)), BlobError)).toBe('MALFORMED');
    }
    expect(codeOf(() => decodeAuditChallenge(new Uint8Array(300)), BlobError)).toBe('TOO_LARGE');
  });

  it('challenge decoder: 5,000 mutated and 2,000 random inputs throw only BlobError', () => {
    fc.assert(fc.property(mutation(challengeBytes), (b) => onlyThrows(BlobError, () => decodeAuditChallenge(b))), {
      numRuns: 5000,
    });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyThrows(BlobError, () => decodeAuditChallenge(b))), {
      numRuns: 2000,
    });
  });

  it('response decoder: mutated and random inputs throw only BlobError, and whatever still decodes fails the audit', () => {
    for (const [base, c] of [
      [responseBytes, smallChallenge],
      [twoBytes, twoChallenge],
    ] as const) {
      fc.assert(
        fc.property(mutation(base), (b) =>
          onlyThrows(BlobError, () => {
            const response = decodeAuditResponse(b);
            // A different canonical encoding is a different response, and no doctored response proves anything.
            expect(auditPasses(c, response)).toBe(same(b, base));
          }),
        ),
        { numRuns: 2500 },
      );
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => onlyThrows(BlobError, () => decodeAuditResponse(b))), {
      numRuns: 2000,
    });
  });
});
