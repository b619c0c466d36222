/**
 * Whatever bytes arrive in place of a metadata document — random, or a valid document bit-flipped, truncated,
 * extended or overwritten — the check throws nothing but UpdateError, and a mutated document never changes what
 * is accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDocument,
  parseTrustState,
  type RoleType,
  serializeTrustState,
  type UpdateMetadata,
  verifyUpdate,
} from '../../../../node/update/index.ts';
import { mutation } from '../../../support/mutation.ts';
import { DEVICE, keys, refusalOf, world } from './fixtures.ts';

const w = world();
const valid = w.metadata();
const accepted = verifyUpdate(w.state, valid, { deviceId: DEVICE, now: w.clock.now });
const fields = ['timestamp', 'snapshot', 'targets', 'director'] as const;
const typeOf: Record<(typeof fields)[number], RoleType> = {
  timestamp: 'timestamp',
  snapshot: 'snapshot',
  targets: 'targets',
  director: 'director',
};

function check(metadata: UpdateMetadata): void {
  if (refusalOf(() => verifyUpdate(w.state, metadata, { deviceId: DEVICE, now: w.clock.now })) !== 'accepted') return;
  expect(verifyUpdate(w.state, metadata, { deviceId: DEVICE, now: w.clock.now })).toEqual(accepted);
}

describe('update metadata fuzzing', () => {
  it('random bytes as any document throw only UpdateError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.uint8Array({ maxLength: 300 }), (field, bytes) => {
        expect(refusalOf(() => decodeDocument(typeOf[field], bytes))).not.toBe('accepted');
        check({ ...valid, [field]: bytes });
      }),
      { numRuns: 100 },
    );
  });

  for (const field of fields) {
    it(`mutations of a valid ${field} throw only UpdateError and never change the accepted target`, () => {
      fc.assert(
        fc.property(mutation(valid[field], { keepWhole: false }), (bytes) => check({ ...valid, [field]: bytes })),
        { numRuns: 100 },
      );
    });
  }

  it('mutations of a new root in the chain throw only UpdateError and never install another root', () => {
    const rotated = world();
    rotated.image.rotateRoot({ snapshot: { keys: [keys.spare], threshold: 1 } });
    const m = rotated.metadata();
    const [v1, v2] = m.imageRoots;
    const verify = (imageRoots: Uint8Array[]) => verifyUpdate(rotated.state, { ...m, imageRoots }, { deviceId: DEVICE, now: rotated.clock.now });
    expect(verify([v1!, v2!]).nextState.imageRoot.signed.version).toBe(2);
    fc.assert(
      fc.property(mutation(v2!, { keepWhole: false }), (bytes) => {
        // A threshold of valid signatures may carry a spoilt extra one: what counts is the signed content.
        if (refusalOf(() => verify([v1!, bytes])) !== 'accepted') return;
        expect(verify([v1!, bytes]).nextState.imageRoot.signed).toEqual(verify([v1!, v2!]).nextState.imageRoot.signed);
      }),
      { numRuns: 100 },
    );
  });

  it('any text as a saved trust state throws only UpdateError', () => {
    const saved = serializeTrustState(accepted.nextState);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.nat(saved.length - 1).map((n) => saved.slice(0, n)),
          fc.record({ at: fc.nat(saved.length - 1), c: fc.string({ minLength: 1, maxLength: 1 }) }).map(({ at, c }) => saved.slice(0, at) + c + saved.slice(at + 1)),
        ),
        (text) => {
          refusalOf(() => parseTrustState(text));
        },
      ),
      { numRuns: 200 },
    );
  });
});
