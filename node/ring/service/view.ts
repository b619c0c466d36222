/**
 * What a ring server holds of the map: the view of its Unity — its routing slice (≈ 2√N entries), the Unity's
 * guests and workers, the map parameters and the end of its range — never the whole map (SPEC.md §5, §1.1.2).
 * Views travel certified: a server accepts one only with a certificate of whoever decides the map — the
 * ring-authority key or a quorum of the manager set, whichever the server is configured with (the same
 * certificates as map updates, epoch-certificate.ts) — over
 *
 *   'AME-RING-VIEW-v1' ‖ 0x00 ‖ SHA-256(view bytes) ‖ epoch (u64 big-endian)
 *
 *   view bytes = { epoch, params, slice (slice-codec bytes), guests: [{ id, addrs }], workers: [PeerId] }
 *
 * A signed view is also what a WRONG_EPOCH reply carries: the fresh slice, certified, so the caller can re-route
 * at once without trusting the server that sent it.
 */
import type { Ed25519KeyPair } from '../../crypto/index.ts';
import { encodeCbor, s } from '../../wire/index.ts';
import {
  certifiersOf,
  checkEpochCertificate,
  epochCertificateToCbor,
  MAX_CERTIFICATE_SIZE,
  parseEpochCertificate,
  signAuthorityCertificate,
  type CertifiersLike,
  type Certify,
  type EpochCertificate,
} from '../epoch-certificate.ts';
import { decodeWith, parseWith, peerIdText, peerRefSchema, peerRefToCbor, ringParamsSchema, ringParamsToCbor } from '../codec.ts';
import { RingError } from '../errors.ts';
import { inRange, type Key } from '../keyspace.ts';
import { MAX_SERVER_LIMIT, MAX_WORKERS_PER_UNITY, type RingMap, type RingParams, type Unity } from '../map.ts';
import { decodeSlice, encodeSlice } from '../slice-codec.ts';
import { ownEntry, sliceFor, type RoutingSlice } from '../slice.ts';

export const VIEW_CERTIFICATE_TAG = 'AME-RING-VIEW-v1';
const MAX_VIEW_SIZE = 2 * 1024 * 1024;
/** A signed view's encoding at most: the view and its certificate. */
export const MAX_SIGNED_VIEW_SIZE = MAX_VIEW_SIZE + MAX_CERTIFICATE_SIZE + 256;

export interface UnityView {
  readonly epoch: bigint;
  readonly params: RingParams;
  readonly slice: RoutingSlice;
  /** The Unity itself, with its guests and workers. */
  readonly unity: Unity;
  /** Exclusive end of its range (its own start when it is the only Unity: the whole ring). */
  readonly end: Key;
}

export interface SignedView {
  /** The view's encoding (`encodeView`). */
  readonly view: Uint8Array;
  /** Certificate over VIEW_CERTIFICATE_TAG, the view bytes and `certificate.epoch`. */
  readonly certificate: EpochCertificate;
}

export function viewOf(map: RingMap, u: number): UnityView {
  const slice = sliceFor(map, u);
  const unity = map.unities[u]!;
  const end = map.unities[(u + 1) % map.unities.length]!.start;
  return { epoch: map.epoch, params: map.params, slice, unity, end };
}

export function ownsKey(view: UnityView, key: Key): boolean {
  return inRange(key, view.unity.start, view.end);
}

const viewSchema = s.struct({
  epoch: s.u64(),
  params: ringParamsSchema,
  slice: s.bytes({ max: MAX_VIEW_SIZE }),
  guests: s.array(peerRefSchema, { max: MAX_SERVER_LIMIT }),
  workers: s.array(peerIdText, { max: MAX_WORKERS_PER_UNITY }),
});

const signedSchema = s.struct({ view: s.bytes({ min: 1, max: MAX_VIEW_SIZE }), certificate: s.raw() });

export function encodeView(view: UnityView): Uint8Array {
  return encodeCbor({
    epoch: view.epoch,
    params: ringParamsToCbor(view.params),
    slice: encodeSlice(view.slice),
    guests: view.unity.guests.map(peerRefToCbor),
    workers: [...view.unity.workers],
  });
}

export function decodeView(bytes: Uint8Array): UnityView {
  const raw = decodeWith(bytes, viewSchema, 'view', MAX_VIEW_SIZE);
  const slice = decodeSlice(raw.slice);
  if (slice.epoch !== raw.epoch) throw new RingError('BAD_SLICE', `view of epoch ${raw.epoch} holds a slice of ${slice.epoch}`);
  const own = ownEntry(slice);
  const next = slice.entries.find((entry) => entry.index === (slice.index + 1) % slice.n) ?? own;
  const unity: Unity = { id: own.id, start: own.start, servers: own.servers, guests: raw.guests, workers: raw.workers };
  return { epoch: raw.epoch, params: raw.params, slice, unity, end: next.start };
}

/** The view certified by the ring-authority key. */
export function signView(view: UnityView, key: Ed25519KeyPair): SignedView {
  const bytes = encodeView(view);
  return { view: bytes, certificate: signAuthorityCertificate(key, { tag: VIEW_CERTIFICATE_TAG, bytes, epoch: view.epoch }) };
}

/** The view certified by `certify` (the ring-authority key, or a collector of manager shares). */
export async function certifyView(view: UnityView, certify: Certify): Promise<SignedView> {
  const bytes = encodeView(view);
  return { view: bytes, certificate: await certify({ tag: VIEW_CERTIFICATE_TAG, bytes, epoch: view.epoch }) };
}

/**
 * The view, once its certificate checks against the certifiers (a bare key is the ring authority): UNSUPPORTED
 * for the kind the caller is not configured for, WRONG_KEY, DUPLICATE_SIGNER, NO_QUORUM, BAD_SIGNATURE, then
 * MALFORMED, BAD_SLICE, or BAD_MAP for a view of another epoch than the certified one.
 */
export function verifyView(signed: SignedView, certifiers: CertifiersLike): UnityView {
  const { certificate } = signed;
  checkEpochCertificate(certifiersOf(certifiers), certificate, 'view', VIEW_CERTIFICATE_TAG, signed.view);
  const view = decodeView(signed.view);
  if (view.epoch !== certificate.epoch) {
    throw new RingError('BAD_MAP', `the certificate is for epoch ${certificate.epoch}, the view is ${view.epoch}`);
  }
  return view;
}

export function encodeSignedView(signed: SignedView): Uint8Array {
  return encodeCbor({ view: signed.view, certificate: epochCertificateToCbor(signed.certificate) });
}

function signedOf(raw: { readonly view: Uint8Array; readonly certificate: unknown }): SignedView {
  return { view: raw.view, certificate: parseEpochCertificate(raw.certificate, 'signed view.certificate') };
}

export function decodeSignedView(bytes: Uint8Array): SignedView {
  return signedOf(decodeWith(bytes, signedSchema, 'signed view', MAX_SIGNED_VIEW_SIZE));
}

export function parseSignedView(value: unknown): SignedView {
  return signedOf(parseWith(value, signedSchema, 'signed view'));
}
