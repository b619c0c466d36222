/**
 * Shared set-up for the messaging tests: deterministic parties (identity + prekey secrets), a session pair over a
 * bundle, and a helper that names the ServiceError code of a call.
 */
import { utf8 } from '../../../../../node/crypto/index.ts';
import { ServiceError } from '../../../../../node/services/errors.ts';
import {
  decodeUpload,
  encodeBundle,
  MessagingIdentity,
  PrekeySecrets,
  Session,
} from '../../../../../node/services/messaging/index.ts';
import { codeOf as codeOfError } from '../../../../support/error-code.ts';
import { randomInt, seededRandom, type Random } from '../../crypto/seeded-random.ts';

export { randomInt, seededRandom, type Random };

export const codeOf = (fn: () => unknown): string | undefined => codeOfError(fn, ServiceError);

export interface Party {
  readonly identity: MessagingIdentity;
  readonly secrets: PrekeySecrets;
  readonly random: Random;
  /** The first upload (signed prekey + the one-time prekeys made at set-up). */
  readonly upload: Uint8Array;
}

export function party(label: string, oneTime = 2): Party {
  const random = seededRandom(label);
  const identity = MessagingIdentity.generate(random);
  const secrets = PrekeySecrets.create(identity, { random });
  const upload = secrets.addOneTimePrekeys(oneTime);
  return { identity, secrets, random, upload };
}

/** The bundle a directory would hand out for `owner`'s upload, with its `index`-th one-time prekey (null: none). */
export function bundleFrom(upload: Uint8Array, index: number | null = 0): Uint8Array {
  const parsed = decodeUpload(upload);
  const oneTime = index === null ? undefined : parsed.oneTimePrekeys[index];
  if (index !== null && oneTime === undefined) throw new Error(`fixture: no one-time prekey ${index}`);
  return encodeBundle(
    oneTime === undefined
      ? { identity: parsed.identity, signedPrekey: parsed.signedPrekey }
      : { identity: parsed.identity, signedPrekey: parsed.signedPrekey, oneTimePrekey: oneTime },
  );
}

export interface Pair {
  readonly alice: Session;
  readonly bob: Session;
  readonly a: Party;
  readonly b: Party;
}

/** Alice starts a session with Bob's bundle; Bob accepts her first message ("hello"). */
export function sessionPair(label: string, oneTimeIndex: number | null = 0): Pair {
  const a = party(`${label} alice`);
  const b = party(`${label} bob`);
  const alice = Session.initiate(a.identity, bundleFrom(b.upload, oneTimeIndex), b.identity.address, { random: a.random });
  const { session: bob, plaintext } = Session.respond(b.secrets, alice.encrypt(utf8('hello')), { random: b.random });
  if (new TextDecoder().decode(plaintext) !== 'hello') throw new Error('fixture: first message did not open');
  return { alice, bob, a, b };
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
