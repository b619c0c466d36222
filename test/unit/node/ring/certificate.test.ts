import { describe, expect, it } from 'vitest';
import { domainSeparated, Ed25519KeyPair, sha256 } from '../../../../node/crypto/index.ts';
import {
  decodeMapUpdate,
  encodeMapUpdate,
  encodeRingMap,
  MAP_CERTIFICATE_TAG,
  ringAuthorityVerifier,
  RingError,
  signManagerShare,
  signMapUpdate,
  type MapUpdate,
} from '../../../../node/ring/index.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { buildMap } from '../../../support/ring-arbitraries.ts';

const authority = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(1));
const intruder = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(2));
const map = buildMap([0n, 1n << 255n], [2, 2], 5n);

function verifierAt(epoch: bigint | undefined) {
  return ringAuthorityVerifier({ authority: authority.publicKey.bytes, currentEpoch: () => epoch });
}

describe('ring-authority map certificates', () => {
  it('signs the domain tag, SHA-256 of the map bytes and the epoch, and verifies to the map', () => {
    const update = signMapUpdate(map, authority);
    expect(update.map).toEqual(encodeRingMap(map));
    const epoch = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 5]);
    const message = domainSeparated(MAP_CERTIFICATE_TAG, sha256(update.map), epoch);
    if (update.certificate.kind !== 'ring-authority') throw new Error('wrong kind');
    expect(authority.publicKey.verify(message, update.certificate.signature)).toBe(true);
    expect(verifierAt(4n).verify(update)).toEqual(map);
    expect(verifierAt(undefined).verify(update)).toEqual(map);
  });

  it('refuses an epoch that is not above the current one', () => {
    const update = signMapUpdate(map, authority);
    expect(codeOf(() => verifierAt(5n).verify(update), RingError)).toBe('STALE_EPOCH');
    expect(codeOf(() => verifierAt(9n).verify(update), RingError)).toBe('STALE_EPOCH');
  });

  it('refuses another signer, a bad signature, a changed map or epoch', () => {
    const update = signMapUpdate(map, authority);
    const cert = update.certificate;
    if (cert.kind !== 'ring-authority') throw new Error('wrong kind');
    const check = (u: MapUpdate) => codeOf(() => verifierAt(1n).verify(u), RingError);
    expect(check(signMapUpdate(map, intruder))).toBe('WRONG_KEY');
    const flipped = Uint8Array.from(cert.signature);
    flipped[10]! ^= 1;
    expect(check({ ...update, certificate: { ...cert, signature: flipped } })).toBe('BAD_SIGNATURE');
    const other = encodeRingMap(buildMap([0n, 1n << 254n], [2, 2], 5n));
    expect(check({ ...update, map: other })).toBe('BAD_SIGNATURE');
    expect(check({ ...update, certificate: { ...cert, epoch: 6n } })).toBe('BAD_SIGNATURE');
  });

  it('refuses certified bytes that are not a map, or a map of another epoch', () => {
    const garbage = new Uint8Array([1, 2, 3]);
    const signed = (bytes: Uint8Array, epoch: bigint): MapUpdate => {
      const sig = authority.sign(
        domainSeparated(MAP_CERTIFICATE_TAG, sha256(bytes), new Uint8Array([0, 0, 0, 0, 0, 0, 0, Number(epoch)])),
      );
      const signer = authority.publicKey.bytes;
      return { map: bytes, certificate: { kind: 'ring-authority', epoch, signer, signature: sig } };
    };
    expect(codeOf(() => verifierAt(1n).verify(signed(garbage, 5n)), RingError)).toBe('MALFORMED');
    expect(codeOf(() => verifierAt(1n).verify(signed(encodeRingMap(map), 6n)), RingError)).toBe('BAD_MAP');
  });

  it('refuses a managers certificate as unsupported when it trusts the ring authority', () => {
    const bytes = encodeRingMap(map);
    const share = signManagerShare(authority, MAP_CERTIFICATE_TAG, bytes, 5n);
    const update: MapUpdate = { map: bytes, certificate: { kind: 'managers', epoch: 5n, entries: [share] } };
    expect(codeOf(() => verifierAt(1n).verify(update), RingError)).toBe('UNSUPPORTED');
    expect(decodeMapUpdate(encodeMapUpdate(update))).toEqual(update);
  });

  it('round-trips updates through their encoding and refuses unknown kinds', () => {
    const update = signMapUpdate(map, authority);
    const back = decodeMapUpdate(encodeMapUpdate(update));
    expect(back).toEqual(update);
    expect(verifierAt(1n).verify(back)).toEqual(map);
    const odd = encodeCbor({ map: update.map, certificate: { kind: 'vote', n: 1 } });
    expect(codeOf(() => decodeMapUpdate(odd), RingError)).toBe('MALFORMED');
    expect(codeOf(() => decodeMapUpdate(new Uint8Array([0xf6])), RingError)).toBe('MALFORMED');
  });
});
