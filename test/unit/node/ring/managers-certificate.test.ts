import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainSeparated, Ed25519KeyPair, sha256, u64be } from '../../../../node/crypto/index.ts';
import {
  assembleManagersCertificate,
  checkManagerShare,
  decodeMapUpdate,
  encodeMapUpdate,
  encodeRingMap,
  MAP_CERTIFICATE_TAG,
  managerQuorum,
  managersVerifier,
  RingError,
  signManagerShare,
  signMapUpdate,
  type ManagersCertificate,
  type ManagerSignature,
  type MapUpdate,
} from '../../../../node/ring/index.ts';
import { signView, VIEW_CERTIFICATE_TAG, verifyView, viewOf, type SignedView } from '../../../../node/ring/service/view.ts';
import { codeOf } from '../../../support/error-code.ts';
import { buildMap } from '../../../support/ring-arbitraries.ts';

const keys = Array.from({ length: 6 }, (_, i) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(10 + i)));
const set = keys.map((k) => k.publicKey.bytes);
const outsider = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(99));
const map = buildMap([0n, 1n << 255n], [2, 2], 5n);
const mapBytes = encodeRingMap(map);

function shares(signers: readonly number[], bytes = mapBytes, epoch = 5n, tag = MAP_CERTIFICATE_TAG): ManagerSignature[] {
  return signers.map((i) => signManagerShare(keys[i]!, tag, bytes, epoch));
}

function update(signers: readonly number[]): MapUpdate {
  return { map: mapBytes, certificate: { kind: 'managers', epoch: 5n, entries: shares(signers) } };
}

function verifierAt(epoch: bigint | undefined, managers: readonly Uint8Array[] = set) {
  return managersVerifier({ managers: () => managers, currentEpoch: () => epoch });
}

const check = (u: MapUpdate, epoch: bigint | undefined = 1n) => codeOf(() => verifierAt(epoch).verify(u), RingError);

function withEntries(u: MapUpdate, entries: readonly ManagerSignature[]): MapUpdate {
  return { ...u, certificate: { ...(u.certificate as ManagersCertificate), entries } };
}

describe('manager quorum', () => {
  it('is ⌊2n/3⌋ + 1', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 16].map(managerQuorum)).toEqual([1, 2, 3, 3, 4, 5, 5, 11]);
  });
});

describe('managers map certificates', () => {
  it('each share signs the same bytes as the ring-authority kind', () => {
    const [share] = shares([2]);
    const message = domainSeparated(MAP_CERTIFICATE_TAG, sha256(mapBytes), u64be(5n));
    expect(keys[2]!.publicKey.verify(message, share!.sig)).toBe(true);
    const single = signMapUpdate(map, keys[2]!);
    if (single.certificate.kind !== 'ring-authority') throw new Error('wrong kind');
    expect(single.certificate.signature).toEqual(share!.sig); // Ed25519 is deterministic: the same document
  });

  it('accepts a quorum (5 of 6) or all six, in any order', () => {
    expect(verifierAt(4n).verify(update([0, 1, 2, 3, 4]))).toEqual(map);
    expect(verifierAt(undefined).verify(update([5, 3, 1, 0, 2]))).toEqual(map);
    expect(verifierAt(1n).verify(update([0, 1, 2, 3, 4, 5]))).toEqual(map);
  });

  it('refuses 4 of 6 as NO_QUORUM, a repeated signer, an outsider, a forged signature', () => {
    expect(check(update([0, 1, 2, 3]))).toBe('NO_QUORUM');
    const good = update([0, 1, 2, 3, 4]);
    const entries = (good.certificate as ManagersCertificate).entries;
    // Five entries but four distinct managers: a duplicate, named by its index.
    const dup = withEntries(good, [...entries.slice(0, 4), entries[1]!]);
    expect(check(dup)).toBe('DUPLICATE_SIGNER');
    expect(() => verifierAt(1n).verify(dup)).toThrow(/entries\[4\]/);
    const foreign = withEntries(good, [...entries, signManagerShare(outsider, MAP_CERTIFICATE_TAG, mapBytes, 5n)]);
    expect(check(foreign)).toBe('WRONG_KEY');
    expect(() => verifierAt(1n).verify(foreign)).toThrow(/entries\[5\]/);
    const sig = Uint8Array.from(entries[3]!.sig);
    sig[7]! ^= 1;
    const forged = withEntries(good, entries.map((e, i) => (i === 3 ? { member: e.member, sig } : e)));
    expect(check(forged)).toBe('BAD_SIGNATURE');
    expect(() => verifierAt(1n).verify(forged)).toThrow(/entries\[3\]/);
    // Every entry must be valid, not only a quorum of them: a sixth, forged entry spoils five good ones.
    const extra = withEntries(good, [...entries, { member: set[5]!, sig: entries[0]!.sig }]);
    expect(check(extra)).toBe('BAD_SIGNATURE');
  });

  it('refuses a certificate of another manager set, another epoch, another map, or the view tag', () => {
    const good = update([0, 1, 2, 3, 4]);
    const otherSet = Array.from({ length: 6 }, (_, i) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(50 + i)).publicKey.bytes);
    expect(codeOf(() => verifierAt(1n, otherSet).verify(good), RingError)).toBe('WRONG_KEY');
    expect(check({ ...good, certificate: { ...(good.certificate as ManagersCertificate), epoch: 6n } })).toBe('BAD_SIGNATURE');
    expect(check({ ...good, map: encodeRingMap(buildMap([0n, 1n << 254n], [2, 2], 5n)) })).toBe('BAD_SIGNATURE');
    const viewTagged = withEntries(good, shares([0, 1, 2, 3, 4], mapBytes, 5n, VIEW_CERTIFICATE_TAG));
    expect(check(viewTagged)).toBe('BAD_SIGNATURE');
  });

  it('refuses a stale epoch before it looks at a signature', () => {
    const garbage = withEntries(update([0]), [{ member: outsider.publicKey.bytes, sig: new Uint8Array(64) }]);
    expect(check(garbage, 5n)).toBe('STALE_EPOCH');
    expect(check(update([0, 1, 2, 3, 4]), 9n)).toBe('STALE_EPOCH');
  });

  it('refuses a ring-authority certificate when it trusts the managers', () => {
    expect(check(signMapUpdate(map, keys[0]!))).toBe('UNSUPPORTED');
  });

  it('checks the certified map after the signatures: MALFORMED, BAD_MAP for another epoch', () => {
    const junk = new Uint8Array([1, 2, 3]);
    const junkUpdate: MapUpdate = { map: junk, certificate: { kind: 'managers', epoch: 5n, entries: shares([0, 1, 2, 3, 4], junk) } };
    expect(check(junkUpdate)).toBe('MALFORMED');
    const sixUpdate: MapUpdate = { map: mapBytes, certificate: { kind: 'managers', epoch: 6n, entries: shares([0, 1, 2, 3, 4], mapBytes, 6n) } };
    expect(check(sixUpdate)).toBe('BAD_MAP');
  });

  it('round-trips through the wire and refuses malformed certificates', () => {
    const good = update([0, 1, 2, 3, 4]);
    const back = decodeMapUpdate(encodeMapUpdate(good));
    expect(back).toEqual(good);
    expect(verifierAt(1n).verify(back)).toEqual(map);
    expect(codeOf(() => decodeMapUpdate(encodeMapUpdate(withEntries(good, []))), RingError)).toBe('MALFORMED');
    const short = withEntries(good, [{ member: set[0]!.subarray(1), sig: shares([0])[0]!.sig }]);
    expect(codeOf(() => decodeMapUpdate(encodeMapUpdate(short)), RingError)).toBe('MALFORMED');
  });

  it('refuses a broken manager set as a configuration error', () => {
    const good = update([0, 1, 2, 3, 4]);
    expect(codeOf(() => verifierAt(1n, []).verify(good), RingError)).toBe('BAD_MANAGER_SET');
    expect(codeOf(() => verifierAt(1n, [...set, set[0]!]).verify(good), RingError)).toBe('BAD_MANAGER_SET');
    expect(codeOf(() => verifierAt(1n, [set[0]!.subarray(1)]).verify(good), RingError)).toBe('BAD_MANAGER_SET');
  });
});

describe('assembling shares', () => {
  it('orders by the set, keeps each member once, and yields a certificate that verifies', () => {
    const cert = assembleManagersCertificate(set, 5n, shares([4, 1, 1, 0, 3, 2, 4]));
    expect(cert.kind).toBe('managers');
    expect(cert.entries.map((e) => set.findIndex((k) => Buffer.compare(k, e.member) === 0))).toEqual([0, 1, 2, 3, 4]);
    expect(verifierAt(1n).verify({ map: mapBytes, certificate: cert })).toEqual(map);
  });

  it('refuses an outsider share and too few members', () => {
    const outside = signManagerShare(outsider, MAP_CERTIFICATE_TAG, mapBytes, 5n);
    expect(codeOf(() => assembleManagersCertificate(set, 5n, [...shares([0, 1, 2, 3, 4]), outside]), RingError)).toBe('WRONG_KEY');
    expect(codeOf(() => assembleManagersCertificate(set, 5n, shares([0, 1, 2, 3, 3, 3])), RingError)).toBe('NO_QUORUM');
  });

  it('a collector checks each share as it arrives', () => {
    const [share] = shares([2]);
    expect(codeOf(() => checkManagerShare(set, share!, MAP_CERTIFICATE_TAG, mapBytes, 5n), RingError)).toBeUndefined();
    expect(codeOf(() => checkManagerShare(set, share!, MAP_CERTIFICATE_TAG, mapBytes, 6n), RingError)).toBe('BAD_SIGNATURE');
    const outside = signManagerShare(outsider, MAP_CERTIFICATE_TAG, mapBytes, 5n);
    expect(codeOf(() => checkManagerShare(set, outside, MAP_CERTIFICATE_TAG, mapBytes, 5n), RingError)).toBe('WRONG_KEY');
  });
});

describe('managers view certificates', () => {
  const view = viewOf(map, 0);
  const certified = (signers: readonly number[]): SignedView => {
    const bytes = signView(view, keys[0]!).view;
    return { view: bytes, certificate: { kind: 'managers', epoch: 5n, entries: shares(signers, bytes, 5n, VIEW_CERTIFICATE_TAG) } };
  };
  const managers = { managers: () => set };

  it('accepts a quorum and refuses what a map certificate refuses', () => {
    expect(verifyView(certified([0, 1, 2, 3, 4]), managers).epoch).toBe(5n);
    const code = (signed: SignedView) => codeOf(() => verifyView(signed, managers), RingError);
    expect(code(certified([0, 1, 2, 3]))).toBe('NO_QUORUM');
    expect(code(certified([0, 1, 2, 3, 3]))).toBe('DUPLICATE_SIGNER');
    expect(code(signView(view, keys[0]!))).toBe('UNSUPPORTED');
    // The view's certificate is not a map's: the tags differ.
    const mapTagged = certified([0, 1, 2, 3, 4]);
    const entries = shares([0, 1, 2, 3, 4], mapTagged.view, 5n, MAP_CERTIFICATE_TAG);
    expect(code({ ...mapTagged, certificate: { kind: 'managers', epoch: 5n, entries } })).toBe('BAD_SIGNATURE');
    // A node configured with the ring-authority key refuses the managers kind.
    expect(codeOf(() => verifyView(certified([0, 1, 2, 3, 4]), keys[0]!.publicKey.bytes), RingError)).toBe('UNSUPPORTED');
  });
});

describe('property: certificates and updates that were tampered with', () => {
  const good = update([0, 1, 2, 3, 4, 5]);
  const goodBytes = encodeMapUpdate(good);
  const entries = (good.certificate as ManagersCertificate).entries;

  const mutation = fc.oneof(
    // Drop signers below the quorum.
    fc.subarray([0, 1, 2, 3, 4, 5], { maxLength: 4 }).map((keep) => withEntries(good, keep.map((i) => entries[i]!))),
    // Repeat a signer.
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 6 })).map(([i, at]) => {
      const list = [...entries];
      list.splice(at, 0, entries[i]!);
      return withEntries(good, list);
    }),
    // A member key replaced by an outsider's or another member's.
    fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 6 }))
      .filter(([i, by]) => i !== by)
      .map(([i, by]) =>
        withEntries(good, entries.map((e, j) => (j === i ? { member: by === 6 ? outsider.publicKey.bytes : set[by]!, sig: e.sig } : e))),
      ),
    // A bit of a signature.
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 511 })).map(([i, bit]) => {
      const sig = Uint8Array.from(entries[i]!.sig);
      sig[bit >> 3]! ^= 1 << (bit & 7);
      return withEntries(good, entries.map((e, j) => (j === i ? { member: e.member, sig } : e)));
    }),
    // Another epoch.
    fc.bigInt({ min: 0n, max: 1n << 40n }).filter((e) => e !== 5n).map((epoch): MapUpdate => ({
      ...good,
      certificate: { ...(good.certificate as ManagersCertificate), epoch },
    })),
    // A bit of the map.
    fc.integer({ min: 0, max: mapBytes.length * 8 - 1 }).map((bit): MapUpdate => {
      const bytes = Uint8Array.from(mapBytes);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      return { ...good, map: bytes };
    }),
  );

  it('refuses every structured mutation with a RingError', () => {
    fc.assert(
      fc.property(mutation, (mutated) => {
        expect(check(mutated)).toBeDefined();
      }),
      { numRuns: 400 },
    );
  });

  it('refuses every bit flip of the encoded update with a RingError (decoding or verifying)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: goodBytes.length * 8 - 1 }), (bit) => {
        const bytes = Uint8Array.from(goodBytes);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(codeOf(() => verifierAt(1n).verify(decodeMapUpdate(bytes)), RingError)).toBeDefined();
      }),
      { numRuns: 600 },
    );
  });

  it('accepts exactly the subsets of signers that reach the quorum', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 9 }), (signers) => {
        const distinct = new Set(signers).size;
        const code = codeOf(() => assembleManagersCertificate(set, 5n, shares(signers)), RingError);
        if (distinct >= 5) {
          const cert = assembleManagersCertificate(set, 5n, shares(signers));
          expect(verifierAt(1n).verify({ map: mapBytes, certificate: cert })).toEqual(map);
        } else {
          expect(code).toBe('NO_QUORUM');
          expect(check(update(signers))).toBe(signers.length === distinct ? 'NO_QUORUM' : 'DUPLICATE_SIGNER');
        }
      }),
      { numRuns: 200 },
    );
  });
});
