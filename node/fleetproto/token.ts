/**
 * Broker login tokens (SPEC §9): the MQTT password of a device on the embedded broker. A token is a signed wire
 * envelope of type `fleet.login`, made by the device's node key, naming the device, the broker it is for and an
 * expiry; it travels as base64url text. A broker accepts it only under the key it enrolled for that device, so
 * nothing derivable from public data (the device id, the broker id) logs in, and a token captured on one broker
 * is useless on another and after a few minutes.
 *
 * The envelope's `time` is when the token was made and `seq` is unused (0): tokens are not counted, they expire.
 */
import { bytesEqual, peerIdOf, type Ed25519KeyPair } from '../crypto/index.ts';
import { createRegistry, decodeEnvelope, defineMessage, s, WireError } from '../wire/index.ts';
import { FleetProtoError } from './errors.ts';
import { assertDeviceId, isDeviceId } from './topics.ts';

/** Lifetime of a token a device makes for one connection attempt. */
export const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Longest lifetime a broker accepts by default: a token is for logging in now, not a standing credential. */
export const MAX_TOKEN_LIFETIME_MS = 60 * 60_000;
/** How far a device's clock may run ahead of the broker's before its fresh token counts as not yet valid. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;
/** Broker ids are text chosen by the fleet admin; long enough for a UUID or a host name. */
export const MAX_BROKER_ID_LENGTH = 128;

const ENVELOPE_MAX_SIZE = 512;
/** base64url of the largest envelope, and the MQTT password length a broker need look at. */
export const MAX_TOKEN_TEXT_LENGTH = Math.ceil((ENVELOPE_MAX_SIZE * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export const loginTokenMessage = defineMessage(
  'fleet.login',
  1,
  s.struct({
    device: s.text({ min: 1, max: 64 }),
    broker: s.text({ min: 1, max: MAX_BROKER_ID_LENGTH }),
    expires: s.uint(),
  }),
  { maxSize: ENVELOPE_MAX_SIZE },
);

export interface LoginTokenClaims {
  readonly deviceId: string;
  readonly brokerId: string;
  /** ms since the epoch, by the signer's clock. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The 32-byte Ed25519 key that signed the token. */
  readonly publicKey: Uint8Array;
}

export interface IssueLoginTokenOptions {
  readonly brokerId: string;
  /** The signer's clock now, ms since the epoch. */
  readonly now: number;
  readonly lifetimeMs?: number;
}

/**
 * A token for `nodeKey`'s own device id. The device id is always the key's PeerId: a key cannot make a token
 * naming another device, which is what makes WRONG_DEVICE a sign of tampering rather than a caller's slip.
 */
export function issueLoginToken(nodeKey: Ed25519KeyPair, options: IssueLoginTokenOptions): string {
  const lifetime = options.lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1) {
    throw new FleetProtoError('BAD_LIFETIME', `token lifetime must be a positive integer of ms, got ${lifetime}`);
  }
  return encodeToken(nodeKey, {
    device: assertDeviceId(peerIdOf(nodeKey)),
    broker: options.brokerId,
    time: options.now,
    expires: options.now + lifetime,
  });
}

/**
 * Signs a token with arbitrary claims. Devices use issueLoginToken; this exists for tests and tools that must
 * produce tokens a verifier has to refuse (another device's id, a past expiry).
 */
export function encodeToken(
  key: Ed25519KeyPair,
  claims: { readonly device: string; readonly broker: string; readonly time: number; readonly expires: number },
): string {
  try {
    const bytes = loginTokenMessage.encode(key, {
      seq: 0,
      time: claims.time,
      body: { device: claims.device, broker: claims.broker, expires: claims.expires },
    });
    return Buffer.from(bytes).toString('base64url');
  } catch (cause) {
    if (!(cause instanceof WireError)) throw cause;
    throw new FleetProtoError('MALFORMED', `cannot encode token: ${cause.message}`, { cause });
  }
}

/**
 * Decodes a token and checks its signature under the key it names, nothing else. MALFORMED, TOO_LARGE or
 * BAD_SIGNATURE; never anything but a FleetProtoError.
 */
export function decodeLoginToken(token: string | Uint8Array): LoginTokenClaims {
  const text = typeof token === 'string' ? token : tokenText(token);
  if (text.length > MAX_TOKEN_TEXT_LENGTH) {
    throw new FleetProtoError('TOO_LARGE', `token of ${text.length} characters exceeds ${MAX_TOKEN_TEXT_LENGTH}`);
  }
  if (!BASE64URL.test(text)) throw new FleetProtoError('MALFORMED', 'token is not base64url text');
  const bytes = Buffer.from(text, 'base64url');
  // base64url has several spellings of the same bytes (unused trailing bits); accept only the canonical one.
  if (bytes.toString('base64url') !== text) throw new FleetProtoError('MALFORMED', 'token is not canonical base64url');
  let envelope;
  try {
    // A registry per call: it carries a key cache, and a login is checked once per connection anyway.
    envelope = decodeEnvelope(createRegistry([loginTokenMessage]), new Uint8Array(bytes));
  } catch (cause) {
    if (!(cause instanceof WireError)) throw cause;
    const code = cause.code === 'BAD_SIGNATURE' || cause.code === 'TOO_LARGE' ? cause.code : 'MALFORMED';
    throw new FleetProtoError(code, `login token: ${cause.message}`, { cause });
  }
  return {
    deviceId: envelope.body.device,
    brokerId: envelope.body.broker,
    issuedAt: envelope.time,
    expiresAt: envelope.body.expires,
    publicKey: envelope.from,
  };
}

export interface VerifyLoginTokenOptions {
  /** The MQTT username: the device id the client claims to be. */
  readonly deviceId: string;
  /** This broker's id. */
  readonly brokerId: string;
  /** The key enrolled for `deviceId`. */
  readonly enrolledKey: Uint8Array;
  /** The verifier's clock now, ms since the epoch. */
  readonly now: number;
  readonly maxLifetimeMs?: number;
  readonly clockSkewMs?: number;
}

/**
 * The claims of a token that logs `deviceId` in to `brokerId` now. The checks run signature first, so someone
 * without the enrolled key learns nothing but BAD_SIGNATURE: BAD_SIGNATURE → WRONG_DEVICE → WRONG_BROKER →
 * NOT_YET_VALID → BAD_LIFETIME → EXPIRED.
 */
export function verifyLoginToken(token: string | Uint8Array, options: VerifyLoginTokenOptions): LoginTokenClaims {
  const claims = decodeLoginToken(token);
  if (!bytesEqual(claims.publicKey, options.enrolledKey)) {
    throw new FleetProtoError('BAD_SIGNATURE', 'login token is not signed by the enrolled key');
  }
  if (claims.deviceId !== options.deviceId || !isDeviceId(claims.deviceId)) {
    throw new FleetProtoError('WRONG_DEVICE', 'login token names another device');
  }
  if (claims.brokerId !== options.brokerId) {
    throw new FleetProtoError('WRONG_BROKER', 'login token is for another broker');
  }
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (claims.issuedAt > options.now + skew) {
    throw new FleetProtoError('NOT_YET_VALID', `login token issued ${claims.issuedAt - options.now} ms in the future`);
  }
  const maxLifetime = options.maxLifetimeMs ?? MAX_TOKEN_LIFETIME_MS;
  if (claims.expiresAt - claims.issuedAt > maxLifetime) {
    throw new FleetProtoError('BAD_LIFETIME', `login token lifetime exceeds ${maxLifetime} ms`);
  }
  if (options.now >= claims.expiresAt) {
    throw new FleetProtoError('EXPIRED', `login token expired ${options.now - claims.expiresAt} ms ago`);
  }
  return claims;
}

/** MQTT passwords arrive as bytes; a token is ASCII, so anything else is refused before decoding. */
function tokenText(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new FleetProtoError('MALFORMED', 'token is not text');
  if (bytes.length > MAX_TOKEN_TEXT_LENGTH) {
    throw new FleetProtoError('TOO_LARGE', `token of ${bytes.length} bytes exceeds ${MAX_TOKEN_TEXT_LENGTH}`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

