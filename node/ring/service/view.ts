/**
 * What a ring server holds of the map: the view of its Unity — its routing slice (≈ 2√N entries), the Unity's
 * guests and workers, the map parameters and the end of its range — never the whole map (SPEC.md §5, §1.1.2).
 * Views travel signed: a server accepts one only with a certificate of the authority that decided the map
 * (a ring-authority signature now, a ledger certificate later; the same check as map updates):
 *
 *   'AME-RING-VIEW-v1' ‖ 0x00 ‖ SHA-256(view bytes) ‖ epoch (u64 big-endian)
 *
 *   view bytes = { epoch, params, slice (slice-codec bytes), guests: [{ id, addrs }], workers: [PeerId] }
 *
 * A signed view is also what a WRONG_EPOCH reply carries: the fresh slice, certified, so the caller can re-route
 * at once without trusting the server that sent it.
 */
import type { Ed25519KeyPair, Ed25519PublicKey } from '../../crypto/index.ts';
import { encodeCbor, s } from '../../wire/index.ts';
import { authorityKey, checkEpochDocument, signEpochDocument } from '../authority.ts';
import { decodeWith, parseWith, peerIdText, peerRefSchema, peerRefToCbor, ringParamsSchema, ringParamsToCbor } from '../codec.ts';
import { RingError } from '../errors.ts';
import { inRange, type Key } from '../keyspace.ts';
import { MAX_SERVER_LIMIT, MAX_WORKERS_PER_UNITY, type RingMap, type RingParams, type Unity } from '../map.ts';
import { decodeSlice, encodeSlice } from '../slice-codec.ts';
import { ownEntry, sliceFor, type RoutingSlice } from '../slice.ts';

export const VIEW_CERTIFICATE_TAG = 'AME-RING-VIEW-v1';
const MAX_VIEW_SIZE = 2 * 1024 * 1024;

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
  readonly view: Uint8Array;
  readonly epoch: bigint;
  readonly signer: Uint8Array;
  readonly signature: Uint8Array;
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

const signedSchema = s.struct({
  view: s.bytes({ min: 1, max: MAX_VIEW_SIZE }),
  epoch: s.u64(),
  signer: s.bytes({ len: 32 }),
  signature: s.bytes({ len: 64 }),
});

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

export function signView(view: UnityView, key: Ed25519KeyPair): SignedView {
  const bytes = encodeView(view);
  return { view: bytes, epoch: view.epoch, ...signEpochDocument(key, VIEW_CERTIFICATE_TAG, bytes, view.epoch) };
}

/** The view, once the authority's signature over it checks (WRONG_KEY, BAD_SIGNATURE, MALFORMED, BAD_SLICE). */
export function verifyView(signed: SignedView, authority: Ed25519PublicKey | Uint8Array): UnityView {
  checkEpochDocument(authorityKey(authority), signed, 'view', VIEW_CERTIFICATE_TAG, signed.view, signed.epoch);
  const view = decodeView(signed.view);
  if (view.epoch !== signed.epoch) {
    throw new RingError('BAD_MAP', `the certificate is for epoch ${signed.epoch}, the view is ${view.epoch}`);
  }
  return view;
}

export function encodeSignedView(signed: SignedView): Uint8Array {
  return encodeCbor({ view: signed.view, epoch: signed.epoch, signer: signed.signer, signature: signed.signature });
}

export function decodeSignedView(bytes: Uint8Array): SignedView {
  return decodeWith(bytes, signedSchema, 'signed view', MAX_VIEW_SIZE + 256);
}

export function parseSignedView(value: unknown): SignedView {
  return parseWith(value, signedSchema, 'signed view');
}
