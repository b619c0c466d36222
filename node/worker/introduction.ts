/**
 * A manager's introduction of a client to a Unity (SPEC §7 "Client flow"): client → manager (which answers with
 * the Unity that owns the key and this signed introduction, paid by a receipt on the client's Manager Ring
 * channel) → an index server of that Unity (which answers only an introduction signed by a current manager, for
 * its own Unity, not expired) → the workers it offers, the client picks. The introduction is valid for a session
 * (until `expires`) and names the client's account, so one paid introduction serves one client for that long.
 *
 * Encoding: canonical CBOR {v: 1, chain, client, key, unity, manager, expires, signature}; the signature is the
 * manager node key's Ed25519 signature of the same map without `signature`, domain-separated.
 */
import { bytesEqual, domainSeparated, Ed25519PublicKey, type Ed25519KeyPair } from '../crypto/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import { WorkerError } from './errors.ts';

export const INTRODUCTION_TAG = 'AME-INTRODUCTION-v1';
export const MAX_INTRODUCTION_SIZE = 1024;

export interface Introduction {
  /** The chain it is valid on (genesis id): an introduction of another network is refused. */
  readonly chain: Uint8Array;
  /** The client's account address (the client of the channel that paid). */
  readonly client: string;
  /** What the client asked for: a blob address or a mailbox key (32 bytes). */
  readonly key: Uint8Array;
  /** The Unity that owns the key (its id). */
  readonly unity: string;
  /** The manager's node key, which signed it. */
  readonly manager: Uint8Array;
  /** Until when it is valid, ms since the epoch (the manager's clock). */
  readonly expires: number;
}

export interface SignedIntroduction {
  readonly introduction: Introduction;
  readonly signature: Uint8Array;
}

const fields = {
  v: s.literal(1),
  chain: s.bytes({ len: 32 }),
  client: s.text({ max: 128 }),
  key: s.bytes({ len: 32 }),
  unity: s.text({ max: 80 }),
  manager: s.bytes({ len: 32 }),
  expires: s.uint(),
};
const signedSchema = s.struct({ ...fields, signature: s.bytes({ len: 64 }) });

function body(intro: Introduction) {
  return { v: 1, chain: intro.chain, client: intro.client, key: intro.key, unity: intro.unity, manager: intro.manager, expires: intro.expires };
}

function signingBytes(intro: Introduction): Uint8Array {
  return domainSeparated(INTRODUCTION_TAG, encodeCbor(body(intro)));
}

export function signIntroduction(intro: Omit<Introduction, 'manager'>, managerKey: Ed25519KeyPair): SignedIntroduction {
  const full: Introduction = { ...intro, manager: managerKey.publicKey.bytes };
  return { introduction: full, signature: managerKey.sign(signingBytes(full)) };
}

export function encodeIntroduction(signed: SignedIntroduction): Uint8Array {
  return encodeCbor({ ...body(signed.introduction), signature: signed.signature });
}

/** The shape only: MALFORMED for bytes that are no introduction (the signature is checked by verifyIntroduction). */
export function decodeIntroduction(bytes: Uint8Array): SignedIntroduction {
  try {
    const raw = signedSchema.parse(decodeCbor(bytes, { maxSize: MAX_INTRODUCTION_SIZE }), 'introduction');
    if (!Number.isSafeInteger(raw.expires)) throw new Error('expires is out of range');
    const { signature, v: _v, ...introduction } = raw;
    return { introduction, signature };
  } catch (cause) {
    throw new WorkerError('MALFORMED', `introduction: ${(cause as Error).message}`, { cause });
  }
}

export interface IntroductionCheck {
  readonly chain: Uint8Array;
  /** The current manager set's node keys. */
  readonly managers: readonly Uint8Array[];
  /** Now, ms. */
  readonly now: number;
  /** The Unity the checker serves: an introduction to another one is refused. */
  readonly unity?: string;
}

/**
 * Throws WorkerError: NOT_MANAGER (signed by a key outside the manager set), BAD_SIGNATURE, EXPIRED, WRONG_UNITY
 * (another chain or another Unity). Returns the introduction.
 */
export function verifyIntroduction(signed: SignedIntroduction, check: IntroductionCheck): Introduction {
  const intro = signed.introduction;
  if (!check.managers.some((key) => bytesEqual(key, intro.manager))) {
    throw new WorkerError('NOT_MANAGER', 'introduction: signed by a key that is not a current manager', { field: 'manager' });
  }
  if (!new Ed25519PublicKey(intro.manager).verify(signingBytes(intro), signed.signature)) {
    throw new WorkerError('BAD_SIGNATURE', 'introduction: the manager’s signature does not verify', { field: 'signature' });
  }
  if (!bytesEqual(intro.chain, check.chain)) throw new WorkerError('WRONG_UNITY', 'introduction: for another chain', { field: 'chain' });
  if (check.unity !== undefined && intro.unity !== check.unity) {
    throw new WorkerError('WRONG_UNITY', `introduction: to Unity ${intro.unity}, this is ${check.unity}`, { field: 'unity' });
  }
  if (intro.expires <= check.now) throw new WorkerError('EXPIRED', `introduction: expired at ${new Date(intro.expires).toISOString()}`, { field: 'expires' });
  return intro;
}
