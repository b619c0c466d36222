/** Published prekeys: encodings round-trip, and every signature (identity, signed, one-time) is checked. */
import { describe, expect, it } from 'vitest';
import { KemKeyPair } from '../../../../../node/crypto/index.ts';
import {
  decodeBundle,
  decodeUpload,
  encodeBundle,
  encodeUpload,
  type PrekeyBundle,
  verifyBundle,
  verifyUpload,
} from '../../../../../node/services/messaging/index.ts';
import { signPrekey } from '../../../../../node/services/messaging/prekeys.ts';
import { bundleFrom, codeOf, party, seededRandom } from './fixtures.ts';

describe('prekeys', () => {
  const bob = party('prekeys bob', 3);
  const mallory = party('prekeys mallory', 1);
  const upload = decodeUpload(bob.upload);
  const bundle = decodeBundle(bundleFrom(bob.upload, 1));

  it('round-trip uploads and bundles, canonically', () => {
    expect(encodeUpload(upload)).toEqual(bob.upload);
    expect(upload.oneTimePrekeys.map((p) => p.id)).toEqual([1, 2, 3]);
    expect(decodeBundle(encodeBundle(bundle))).toEqual(bundle);
    const { oneTimePrekey: _none, ...bare } = bundle;
    expect(decodeBundle(encodeBundle(bare)).oneTimePrekey).toBeUndefined();
    verifyUpload(upload);
    verifyBundle(bundle, bob.identity.address);
  });

  it('refuses a bundle whose signatures fail, or of another identity', () => {
    const badSig = (b: PrekeyBundle) => codeOf(() => verifyBundle(b, bob.identity.address));
    const flipped = Uint8Array.from(bundle.signedPrekey.sig);
    flipped[0]! ^= 1;
    expect(badSig({ ...bundle, signedPrekey: { ...bundle.signedPrekey, sig: flipped } })).toBe('BAD_SIGNATURE');
    expect(badSig({ ...bundle, signedPrekey: { ...bundle.signedPrekey, id: 7 } })).toBe('BAD_SIGNATURE');
    const otherKey = KemKeyPair.generate(seededRandom('other kem')).publicKey;
    expect(badSig({ ...bundle, oneTimePrekey: { ...bundle.oneTimePrekey!, key: otherKey } })).toBe('BAD_SIGNATURE');
    // A one-time prekey passed off as the signed one: the kind is signed.
    expect(badSig({ ...bundle, signedPrekey: bundle.oneTimePrekey! })).toBe('BAD_SIGNATURE');
    // Mallory's prekeys under Bob's identity, or Mallory's whole valid bundle for Bob's address.
    const malloryBundle = decodeBundle(bundleFrom(mallory.upload, 0));
    expect(badSig({ ...malloryBundle, identity: bob.identity.public })).toBe('BAD_SIGNATURE');
    expect(badSig(malloryBundle)).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyBundle(malloryBundle))).toBeUndefined();
  });

  it('refuses an upload with a bad signature or ids that do not increase', () => {
    const forged = signPrekey(mallory.identity, 'one-time', 9, upload.oneTimePrekeys[0]!.key);
    expect(codeOf(() => verifyUpload({ ...upload, oneTimePrekeys: [...upload.oneTimePrekeys, forged] }))).toBe('BAD_SIGNATURE');
    const twice = [upload.oneTimePrekeys[0]!, upload.oneTimePrekeys[0]!];
    expect(codeOf(() => verifyUpload({ ...upload, oneTimePrekeys: twice }))).toBe('MALFORMED');
    expect(codeOf(() => verifyUpload({ ...upload, identity: mallory.identity.public }))).toBe('BAD_SIGNATURE');
  });
});
