/**
 * Map certificates (SPEC.md §5): a server accepts a new ring map only with proof that the Manager Ring decided
 * it. Two kinds go through one interface. The ledger kind (the final block header holding the map and a proof
 * of the map's root in its state) is declared and refused as UNSUPPORTED until the ledger exists. The
 * ring-authority kind, for the time before it and for ring-only tests, is an Ed25519 signature by the genesis
 * ring-authority key over
 *
 *   'AME-RING-MAP-v1' ‖ 0x00 ‖ SHA-256(map bytes) ‖ epoch (u64 big-endian)
 *
 * The epoch rides in the certificate as well, so a stale or replayed update is refused after one hash and one
 * signature check, before its (possibly large) map is decoded.
 */
import type { Ed25519KeyPair, Ed25519PublicKey } from '../crypto/index.ts';
import { encodeCbor, s, type CborValue } from '../wire/index.ts';
import { authorityKey, checkEpochDocument, signEpochDocument } from './authority.ts';
import { RingError } from './errors.ts';
import { decodeWith, parseWith } from './codec.ts';
import { decodeRingMap, DEFAULT_MAP_MAX_SIZE, encodeRingMap } from './map-codec.ts';
import type { RingMap } from './map.ts';

export const MAP_CERTIFICATE_TAG = 'AME-RING-MAP-v1';

export type MapCertificate =
  | {
      readonly kind: 'ring-authority';
      readonly epoch: bigint;
      readonly signer: Uint8Array;
      readonly signature: Uint8Array;
    }
  | {
      readonly kind: 'ledger';
      /** The final block header holding the map, with its finality certificate. */
      readonly header: Uint8Array;
      /** Proof of the map's root in that block's state. */
      readonly proof: Uint8Array;
    };

export interface MapUpdate {
  /** The map's canonical encoding (map-codec.ts). */
  readonly map: Uint8Array;
  readonly certificate: MapCertificate;
}

export interface MapCertificateVerifier {
  /** The certified map, or a RingError saying why the update is refused. */
  verify(update: MapUpdate): RingMap;
}

export function signMapUpdate(map: RingMap, key: Ed25519KeyPair): MapUpdate {
  const bytes = encodeRingMap(map);
  const signed = signEpochDocument(key, MAP_CERTIFICATE_TAG, bytes, map.epoch);
  return { map: bytes, certificate: { kind: 'ring-authority', epoch: map.epoch, ...signed } };
}

export interface RingAuthorityVerifierOptions {
  /** The ring-authority key named in the genesis configuration. */
  readonly authority: Ed25519PublicKey | Uint8Array;
  /** The epoch of the map the node holds, or undefined before its first one. */
  readonly currentEpoch: () => bigint | undefined;
  readonly maxMapSize?: number;
}

/**
 * A verifier of ring-authority certificates. Refuses, in this order: the ledger kind (UNSUPPORTED), an epoch not
 * above the current one (STALE_EPOCH), a signer other than the authority (WRONG_KEY), a signature that does not
 * verify (BAD_SIGNATURE), map bytes that do not decode (MALFORMED) or break an invariant (BAD_MAP), and a map
 * whose epoch differs from the certified one (BAD_MAP).
 */
export function ringAuthorityVerifier(options: RingAuthorityVerifierOptions): MapCertificateVerifier {
  const authority = authorityKey(options.authority);
  return {
    verify(update: MapUpdate): RingMap {
      const { certificate } = update;
      if (certificate.kind !== 'ring-authority') {
        throw new RingError('UNSUPPORTED', `${certificate.kind} map certificates are not supported yet`);
      }
      const current = options.currentEpoch();
      if (current !== undefined && certificate.epoch <= current) {
        throw new RingError('STALE_EPOCH', `map update of epoch ${certificate.epoch}; this node holds ${current}`);
      }
      checkEpochDocument(authority, certificate, 'map update', MAP_CERTIFICATE_TAG, update.map, certificate.epoch);
      const map = decodeRingMap(update.map, { maxSize: options.maxMapSize ?? DEFAULT_MAP_MAX_SIZE });
      if (map.epoch !== certificate.epoch) {
        throw new RingError('BAD_MAP', `the certificate is for epoch ${certificate.epoch}, the map is ${map.epoch}`);
      }
      return map;
    },
  };
}

const authorityCertificateSchema = s.struct({
  kind: s.literal('ring-authority'),
  epoch: s.u64(),
  signer: s.bytes({ len: 32 }),
  signature: s.bytes({ len: 64 }),
});

const ledgerCertificateSchema = s.struct({
  kind: s.literal('ledger'),
  header: s.bytes({ max: 1024 * 1024 }),
  proof: s.bytes({ max: 1024 * 1024 }),
});

const updateSchema = s.struct({ map: s.bytes({ min: 1 }), certificate: s.raw() });

export function encodeMapUpdate(update: MapUpdate): Uint8Array {
  return encodeCbor({ map: update.map, certificate: { ...update.certificate } as CborValue });
}

/** MALFORMED for anything but a canonical update of a known certificate kind; the map itself is not decoded. */
export function decodeMapUpdate(bytes: Uint8Array, options: { readonly maxSize?: number } = {}): MapUpdate {
  const maxSize = (options.maxSize ?? DEFAULT_MAP_MAX_SIZE) + 2 * 1024 * 1024;
  const raw = decodeWith(bytes, updateSchema, 'update', maxSize);
  const kind = (raw.certificate as { kind?: unknown } | null)?.kind;
  const certificate: MapCertificate =
    kind === 'ledger'
      ? parseWith(raw.certificate, ledgerCertificateSchema, 'update.certificate')
      : parseWith(raw.certificate, authorityCertificateSchema, 'update.certificate');
  return { map: raw.map, certificate };
}
