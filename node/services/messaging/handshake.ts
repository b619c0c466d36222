/**
 * Session start (SPEC §3), PQXDH-shaped over AME's hybrid KEM. Bob publishes IK_B (Ed25519 signing key + certified
 * X25519 key), a signed hybrid prekey SPK_B and signed one-time hybrid prekeys OPK_B (prekeys.ts). Alice, with IK_A
 * and a fresh X25519 key EK_A, computes
 *
 *   DH1 = X25519(IK_A, SPK_B.x25519)        authenticates Alice (only she and Bob can compute it)
 *   DH2 = X25519(EK_A, IK_B)                authenticates Bob
 *   SS_S, CT_S = Encaps(SPK_B)              hybrid: a fresh X25519 agreement with SPK_B and ML-KEM-768
 *   SS_O, CT_O = Encaps(OPK_B)              when the bundle had a one-time prekey: one-time forward secrecy
 *
 *   TH = SHA-256('AME-PQXDH-v1' ‖ 0x00 ‖ cbor({a: IK_A, b: IK_B, ek: EK_A, spk: [id, SPK_B], opk: [id, OPK_B]?,
 *                                             cs: CT_S, co: CT_O?}))     (IK = signing key ‖ X25519 key)
 *   SK = HKDF-SHA-256(ikm = DH1 ‖ DH2 ‖ SS_S ‖ SS_O?, salt = 32 zero bytes, info = 'AME-PQXDH-v1' ‖ 0x00 ‖ TH)
 *
 * The KEM encapsulations stand for X3DH's DH3/DH4 (each carries its own ephemeral X25519 agreement with the
 * prekey) and add ML-KEM, so the key stays secret against a recorder with a future quantum computer as long as
 * ML-KEM holds; authentication (DH1, DH2, the Ed25519 signatures) is classical, as in PQXDH. Hashing every key and
 * ciphertext into the info binds SK to both identities and to this exact start (no unknown-key share, no mix of
 * two starts). TH is then the ratchet's associated data, and the session id is the first 16 bytes of
 * SHA-256('AME-PQXDH-SID-v1' ‖ 0x00 ‖ TH).
 *
 * Alice's first messages carry the start {ik: IK_A, ek: EK_A, spk: id, opk: id?, cs: CT_S, co: CT_O?}; the Double
 * Ratchet begins with SPK_B's X25519 key as Bob's first ratchet key, as Signal's does with its signed prekey.
 */
import {
  concatBytes,
  domainSeparated,
  encapsulate,
  KEM_CIPHERTEXT_LENGTH,
  type KemKeyPair,
  hkdfSha256,
  type RandomSource,
  sha256,
} from '../../crypto/index.ts';
import { encodeCbor, s, type Infer } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { wrapLower } from './codec.ts';
import {
  identityBytes,
  type MessagingIdentity,
  publicIdentitySchema,
  type PublicIdentity,
  verifyIdentity,
} from './identity.ts';
import type { PrekeySecrets } from './prekey-secrets.ts';
import { MAX_PREKEY_ID, type PrekeyBundle, verifyBundle } from './prekeys.ts';
import { generateX25519, X25519_KEY_LENGTH, x25519 } from './primitives.ts';

export const HANDSHAKE_DOMAIN_TAG = 'AME-PQXDH-v1';
export const SESSION_ID_DOMAIN_TAG = 'AME-PQXDH-SID-v1';
export const START_ID_DOMAIN_TAG = 'AME-PQXDH-START-v1';
export const SESSION_ID_LENGTH = 16;

export const sessionStartSchema = s.struct({
  ik: publicIdentitySchema,
  ek: s.bytes({ len: X25519_KEY_LENGTH }),
  spk: s.uint({ max: MAX_PREKEY_ID }),
  opk: s.optional(s.uint({ max: MAX_PREKEY_ID })),
  cs: s.bytes({ len: KEM_CIPHERTEXT_LENGTH }),
  co: s.optional(s.bytes({ len: KEM_CIPHERTEXT_LENGTH })),
});
/** What the initiator's first messages carry so the responder can derive the same key. */
export type SessionStart = Infer<typeof sessionStartSchema>;

export interface HandshakeKeys {
  /** SK: the Double Ratchet's first root key. */
  readonly sharedKey: Uint8Array;
  /** TH: associated data of every message of the session. */
  readonly associatedData: Uint8Array;
  readonly sessionId: Uint8Array;
  /** The other party's identity (checked). */
  readonly peer: PublicIdentity;
}

export interface Initiated extends HandshakeKeys {
  readonly start: SessionStart;
  /** Bob's first ratchet key: the X25519 part of his signed prekey. */
  readonly remoteRatchetKey: Uint8Array;
}

export interface Responded extends HandshakeKeys {
  /** Bob's first ratchet secret: the X25519 part of his signed prekey. */
  readonly ratchetSecret: Uint8Array;
}

/** Identifies a start before any secret is touched, so a replay is refused without spending work or keys. */
export function startId(start: SessionStart): Uint8Array {
  return sha256(domainSeparated(START_ID_DOMAIN_TAG, encodeCbor(start)));
}

interface Transcript {
  readonly a: PublicIdentity;
  readonly b: PublicIdentity;
  readonly ek: Uint8Array;
  readonly spk: readonly [number, Uint8Array];
  readonly opk: readonly [number, Uint8Array] | undefined;
  readonly cs: Uint8Array;
  readonly co: Uint8Array | undefined;
}

function derive(t: Transcript, secrets: readonly Uint8Array[]): HandshakeKeys {
  const value: Record<string, unknown> = {
    a: identityBytes(t.a),
    b: identityBytes(t.b),
    ek: t.ek,
    spk: [...t.spk],
    cs: t.cs,
  };
  if (t.opk !== undefined && t.co !== undefined) {
    value['opk'] = [...t.opk];
    value['co'] = t.co;
  }
  const th = sha256(domainSeparated(HANDSHAKE_DOMAIN_TAG, encodeCbor(value as never)));
  const sharedKey = hkdfSha256(concatBytes(...secrets), new Uint8Array(32), domainSeparated(HANDSHAKE_DOMAIN_TAG, th), 32);
  const sessionId = sha256(domainSeparated(SESSION_ID_DOMAIN_TAG, th)).slice(0, SESSION_ID_LENGTH);
  return { sharedKey, associatedData: th, sessionId, peer: t.a };
}

function encaps(publicKey: Uint8Array, random: RandomSource): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  return wrapLower('BAD_KEY', 'prekey', () => encapsulate(publicKey, random));
}

function decaps(pair: KemKeyPair, ciphertext: Uint8Array): Uint8Array {
  return wrapLower('BAD_KEY', 'session start ciphertext', () => pair.decapsulate(ciphertext));
}

/**
 * Alice's side: checks the bundle (signatures, and that it is `peerAddress`'s), then derives the keys and the start
 * to send. BAD_SIGNATURE / BAD_KEY.
 */
export function initiateHandshake(
  identity: MessagingIdentity,
  bundle: PrekeyBundle,
  peerAddress: Uint8Array,
  random: RandomSource,
): Initiated {
  verifyBundle(bundle, peerAddress);
  const spk = bundle.signedPrekey;
  const opk = bundle.oneTimePrekey;
  const remoteRatchetKey = spk.key.slice(0, X25519_KEY_LENGTH);
  const ek = generateX25519(random);
  const dh1 = x25519(identity.dhSecret(), remoteRatchetKey);
  const dh2 = x25519(ek.secret, bundle.identity.dh);
  const es = encaps(spk.key, random);
  const eo = opk === undefined ? undefined : encaps(opk.key, random);
  const keys = derive(
    {
      a: identity.public,
      b: bundle.identity,
      ek: ek.publicKey,
      spk: [spk.id, spk.key],
      opk: opk === undefined ? undefined : [opk.id, opk.key],
      cs: es.ciphertext,
      co: eo?.ciphertext,
    },
    eo === undefined ? [dh1, dh2, es.sharedSecret] : [dh1, dh2, es.sharedSecret, eo.sharedSecret],
  );
  const start: SessionStart =
    opk === undefined || eo === undefined
      ? { ik: identity.public, ek: ek.publicKey, spk: spk.id, cs: es.ciphertext }
      : { ik: identity.public, ek: ek.publicKey, spk: spk.id, opk: opk.id, cs: es.ciphertext, co: eo.ciphertext };
  return { ...keys, peer: bundle.identity, start, remoteRatchetKey };
}

/**
 * Bob's side. Does not consume anything: the caller calls `secrets.consume` once the first message has opened, so
 * a forged start cannot burn a one-time prekey. BAD_SIGNATURE / NOT_FOUND (prekey not held) / BAD_KEY / MALFORMED.
 */
export function respondHandshake(secrets: PrekeySecrets, start: SessionStart): Responded {
  verifyIdentity(start.ik);
  if ((start.opk === undefined) !== (start.co === undefined)) {
    throw new ServiceError('MALFORMED', 'session start: a one-time prekey id and its ciphertext go together');
  }
  const spk = secrets.signedPrekey(start.spk);
  const opk = start.opk === undefined ? undefined : secrets.oneTimePrekey(start.opk);
  const ratchetSecret = spk.seed().slice(0, X25519_KEY_LENGTH);
  const dh1 = x25519(ratchetSecret, start.ik.dh);
  const dh2 = x25519(secrets.identity.dhSecret(), start.ek);
  const ss = decaps(spk, start.cs);
  const so = opk === undefined || start.co === undefined ? undefined : decaps(opk, start.co);
  const keys = derive(
    {
      a: start.ik,
      b: secrets.identity.public,
      ek: start.ek,
      spk: [start.spk, spk.publicKey],
      opk: opk === undefined || start.opk === undefined ? undefined : [start.opk, opk.publicKey],
      cs: start.cs,
      co: start.co,
    },
    so === undefined ? [dh1, dh2, ss] : [dh1, dh2, ss, so],
  );
  return { ...keys, peer: start.ik, ratchetSecret };
}
