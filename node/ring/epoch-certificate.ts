/**
 * The certificate of an epoch document — a ring map update or a signed Unity view (SPEC.md §5 "Map
 * certificates"). Both kinds sign the same bytes, tag ‖ 0x00 ‖ SHA-256(document) ‖ epoch (u64 big-endian):
 *
 * - `ring-authority`: one Ed25519 signature by the ring-authority key of the genesis configuration (before the
 *   Manager Ring runs the ring, in ring-only tests and in `ame up`);
 * - `managers`: signatures of at least ⌊2n/3⌋ + 1 distinct members of the manager set (managers.ts).
 *
 * A node is configured with exactly one of them (`Certifiers`) and refuses the other kind as UNSUPPORTED. The
 * epoch rides in the certificate, so a stale or replayed document is refused before any signature is checked
 * and before the (possibly large) document is decoded.
 */
import { Ed25519PublicKey, type Ed25519KeyPair } from '../crypto/index.ts';
import { s, type CborValue } from '../wire/index.ts';
import { authorityKey, checkEpochDocument, signEpochDocument } from './authority.ts';
import { parseWith } from './codec.ts';
import { RingError } from './errors.ts';
import { checkManagersCertificate, MAX_MANAGERS, type ManagersCertificate } from './managers.ts';

export interface AuthorityCertificate {
  readonly kind: 'ring-authority';
  readonly epoch: bigint;
  readonly signer: Uint8Array;
  readonly signature: Uint8Array;
}

export type EpochCertificate = AuthorityCertificate | ManagersCertificate;

/** Who certifies the ring's documents, as a node is configured: the ring-authority key or the manager set. */
export type Certifiers =
  | { readonly authority: Ed25519PublicKey | Uint8Array }
  | { readonly managers: () => readonly Uint8Array[] };

/** A bare key (the configuration of the ring-authority era) or either kind of configuration. */
export type CertifiersLike = Ed25519PublicKey | Uint8Array | Certifiers;

export function certifiersOf(trust: CertifiersLike): Certifiers {
  return trust instanceof Uint8Array || trust instanceof Ed25519PublicKey ? { authority: trust } : trust;
}

/** A document to certify: what a signer (one key, or a quorum collector) is asked to sign. */
export interface EpochDocument {
  readonly tag: string;
  readonly bytes: Uint8Array;
  readonly epoch: bigint;
}

/** Makes the certificate of a document; the single-key signer and a quorum collector are interchangeable. */
export type Certify = (document: EpochDocument) => Promise<EpochCertificate>;

export function signAuthorityCertificate(key: Ed25519KeyPair, document: EpochDocument): AuthorityCertificate {
  const { tag, bytes, epoch } = document;
  return { kind: 'ring-authority', epoch, ...signEpochDocument(key, tag, bytes, epoch) };
}

/** `Certify` with the ring-authority key. */
export function authorityCertify(key: Ed25519KeyPair): Certify {
  return async (document) => signAuthorityCertificate(key, document);
}

/**
 * Checks a certificate of (tag, bytes) against the configured certifiers, after the caller's staleness check:
 * UNSUPPORTED for the kind the node is not configured for; for ring-authority WRONG_KEY / BAD_SIGNATURE; for
 * managers WRONG_KEY, DUPLICATE_SIGNER, NO_QUORUM, BAD_SIGNATURE (managers.ts).
 */
export function checkEpochCertificate(
  certifiers: Certifiers,
  certificate: EpochCertificate,
  what: string,
  tag: string,
  bytes: Uint8Array,
): void {
  if ('authority' in certifiers) {
    if (certificate.kind !== 'ring-authority') {
      throw new RingError('UNSUPPORTED', `${what}: ${certificate.kind} certificates are not accepted; this node trusts the ring authority`);
    }
    checkEpochDocument(authorityKey(certifiers.authority), certificate, what, tag, bytes, certificate.epoch);
    return;
  }
  if (certificate.kind !== 'managers') {
    throw new RingError('UNSUPPORTED', `${what}: ${certificate.kind} certificates are not accepted; this node trusts the managers`);
  }
  checkManagersCertificate(certifiers.managers(), certificate, what, tag, bytes);
}

const authoritySchema = s.struct({
  kind: s.literal('ring-authority'),
  epoch: s.u64(),
  signer: s.bytes({ len: 32 }),
  signature: s.bytes({ len: 64 }),
});

const managersSchema = s.struct({
  kind: s.literal('managers'),
  epoch: s.u64(),
  entries: s.array(s.struct({ member: s.bytes({ len: 32 }), sig: s.bytes({ len: 64 }) }), { min: 1, max: MAX_MANAGERS }),
});

/** Bytes a certificate takes at most on the wire (the managers kind with MAX_MANAGERS entries, rounded up). */
export const MAX_CERTIFICATE_SIZE = 64 * 1024;

export function epochCertificateToCbor(certificate: EpochCertificate): CborValue {
  if (certificate.kind === 'ring-authority') {
    const { kind, epoch, signer, signature } = certificate;
    return { kind, epoch, signer, signature };
  }
  return {
    kind: certificate.kind,
    epoch: certificate.epoch,
    entries: certificate.entries.map((e) => ({ member: e.member, sig: e.sig })),
  };
}

/** A decoded CBOR value as a certificate of a known kind; MALFORMED otherwise. */
export function parseEpochCertificate(value: unknown, what: string): EpochCertificate {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'managers' ? parseWith(value, managersSchema, what) : parseWith(value, authoritySchema, what);
}
