/**
 * Map certificates (SPEC.md §5): a server accepts a new ring map only with proof that the Manager Ring decided
 * it. Both kinds of epoch-certificate.ts go through one interface, over
 *
 *   'AME-RING-MAP-v1' ‖ 0x00 ‖ SHA-256(map bytes) ‖ epoch (u64 big-endian)
 *
 * - `ring-authority`: a signature by the genesis ring-authority key (`ringAuthorityVerifier`);
 * - `managers`: signatures of a quorum ⌊2n/3⌋ + 1 of the manager set (`managersVerifier`; the set is injected,
 *   since node/ring cannot see the ledger that holds it).
 *
 * The epoch rides in the certificate as well, so a stale or replayed update is refused before any signature is
 * checked and before its (possibly large) map is decoded.
 */
import type { Ed25519KeyPair, Ed25519PublicKey } from '../crypto/index.ts';
import { encodeCbor, s } from '../wire/index.ts';
import { decodeWith } from './codec.ts';
import {
  checkEpochCertificate,
  epochCertificateToCbor,
  MAX_CERTIFICATE_SIZE,
  parseEpochCertificate,
  signAuthorityCertificate,
  type Certifiers,
  type Certify,
  type EpochCertificate,
} from './epoch-certificate.ts';
import { RingError } from './errors.ts';
import { decodeRingMap, DEFAULT_MAP_MAX_SIZE, encodeRingMap } from './map-codec.ts';
import type { RingMap } from './map.ts';

export const MAP_CERTIFICATE_TAG = 'AME-RING-MAP-v1';

export type MapCertificate = EpochCertificate;

export interface MapUpdate {
  /** The map's canonical encoding (map-codec.ts). */
  readonly map: Uint8Array;
  readonly certificate: MapCertificate;
}

export interface MapCertificateVerifier {
  /** The certified map, or a RingError saying why the update is refused. */
  verify(update: MapUpdate): RingMap;
}

/** The map update certified by the ring-authority key. */
export function signMapUpdate(map: RingMap, key: Ed25519KeyPair): MapUpdate {
  const bytes = encodeRingMap(map);
  return { map: bytes, certificate: signAuthorityCertificate(key, { tag: MAP_CERTIFICATE_TAG, bytes, epoch: map.epoch }) };
}

/** The map update certified by `certify` (the ring-authority key, or a collector of manager shares). */
export async function certifyMapUpdate(map: RingMap, certify: Certify): Promise<MapUpdate> {
  const bytes = encodeRingMap(map);
  return { map: bytes, certificate: await certify({ tag: MAP_CERTIFICATE_TAG, bytes, epoch: map.epoch }) };
}

export interface MapVerifierOptions {
  readonly certifiers: Certifiers;
  /** The epoch of the map the node holds, or undefined before its first one. */
  readonly currentEpoch: () => bigint | undefined;
  readonly maxMapSize?: number;
}

export interface RingAuthorityVerifierOptions {
  /** The ring-authority key named in the genesis configuration. */
  readonly authority: Ed25519PublicKey | Uint8Array;
  readonly currentEpoch: () => bigint | undefined;
  readonly maxMapSize?: number;
}

export interface ManagersVerifierOptions {
  /** The current manager set: Ed25519 node keys in set order (from the ledger's state, injected). */
  readonly managers: () => readonly Uint8Array[];
  readonly currentEpoch: () => bigint | undefined;
  readonly maxMapSize?: number;
}

/**
 * A verifier of map updates certified by the configured certifiers. Refuses, in this order: the other kind
 * (UNSUPPORTED), an epoch not above the current one (STALE_EPOCH), the certificate (ring-authority: WRONG_KEY,
 * BAD_SIGNATURE; managers: WRONG_KEY, DUPLICATE_SIGNER, NO_QUORUM, BAD_SIGNATURE), map bytes that do not decode
 * (MALFORMED) or break an invariant (BAD_MAP), and a map whose epoch differs from the certified one (BAD_MAP).
 */
export function mapCertificateVerifier(options: MapVerifierOptions): MapCertificateVerifier {
  const { certifiers } = options;
  return {
    verify(update: MapUpdate): RingMap {
      const { certificate } = update;
      const accepted = 'authority' in certifiers ? 'ring-authority' : 'managers';
      if (certificate.kind !== accepted) {
        throw new RingError('UNSUPPORTED', `${certificate.kind} map certificates are not accepted; this node trusts ${accepted}`);
      }
      const current = options.currentEpoch();
      if (current !== undefined && certificate.epoch <= current) {
        throw new RingError('STALE_EPOCH', `map update of epoch ${certificate.epoch}; this node holds ${current}`);
      }
      checkEpochCertificate(certifiers, certificate, 'map update', MAP_CERTIFICATE_TAG, update.map);
      const map = decodeRingMap(update.map, { maxSize: options.maxMapSize ?? DEFAULT_MAP_MAX_SIZE });
      if (map.epoch !== certificate.epoch) {
        throw new RingError('BAD_MAP', `the certificate is for epoch ${certificate.epoch}, the map is ${map.epoch}`);
      }
      return map;
    },
  };
}

/** Map updates certified by the ring-authority key (the managers kind is UNSUPPORTED). */
export function ringAuthorityVerifier(options: RingAuthorityVerifierOptions): MapCertificateVerifier {
  const { authority, ...rest } = options;
  return mapCertificateVerifier({ certifiers: { authority }, ...rest });
}

/** Map updates certified by a quorum of the manager set (the ring-authority kind is UNSUPPORTED). */
export function managersVerifier(options: ManagersVerifierOptions): MapCertificateVerifier {
  const { managers, ...rest } = options;
  return mapCertificateVerifier({ certifiers: { managers }, ...rest });
}

const updateSchema = s.struct({ map: s.bytes({ min: 1 }), certificate: s.raw() });

export function encodeMapUpdate(update: MapUpdate): Uint8Array {
  return encodeCbor({ map: update.map, certificate: epochCertificateToCbor(update.certificate) });
}

/** MALFORMED for anything but a canonical update of a known certificate kind; the map itself is not decoded. */
export function decodeMapUpdate(bytes: Uint8Array, options: { readonly maxSize?: number } = {}): MapUpdate {
  const maxSize = (options.maxSize ?? DEFAULT_MAP_MAX_SIZE) + MAX_CERTIFICATE_SIZE + 1024;
  const raw = decodeWith(bytes, updateSchema, 'update', maxSize);
  return { map: raw.map, certificate: parseEpochCertificate(raw.certificate, 'update.certificate') };
}
