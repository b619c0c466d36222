/**
 * Who may read and empty a mailbox: the holder of the messaging signing key the mailbox address is derived from
 * (node/services/messaging identity.ts: address = SHA-256 tag ‖ signing key). A request signs its method, the
 * address, its arguments and the time; a worker accepts it within `windowMs` of its clock. Reading is harmless to
 * repeat and acknowledging is idempotent, so a replay inside the window gains nothing, and nothing is kept per
 * request.
 */
import { bytesEqual, domainSeparated, type Ed25519KeyPair, Ed25519PublicKey } from '../../crypto/index.ts';
import { messagingAddress } from '../../services/messaging/index.ts';
import { type CborValue, encodeCbor } from '../../wire/index.ts';
import { WorkerError } from '../errors.ts';
import type { MailAccess } from './protocol.ts';

export const MAIL_ACCESS_TAG = 'AME-MAIL-ACCESS-v1';
export const DEFAULT_ACCESS_WINDOW_MS = 5 * 60_000;

function accessBytes(method: string, account: Uint8Array, time: bigint, args: CborValue): Uint8Array {
  return domainSeparated(MAIL_ACCESS_TAG, encodeCbor({ method, account, time, args }));
}

/** The access part of a mailbox request, signed by the mailbox owner's messaging key. */
export function signAccess(key: Ed25519KeyPair, method: string, time: number, args: CborValue): MailAccess {
  const account = messagingAddress(key.publicKey.bytes);
  const t = BigInt(Math.floor(time));
  return { account, key: key.publicKey.bytes, time: t, sig: key.sign(accessBytes(method, account, t, args)) };
}

/** NOT_AUTHORISED-style refusals as WorkerError BAD_SIGNATURE / EXPIRED / WRONG_CLIENT, naming the field. */
export function checkAccess(access: MailAccess, method: string, args: CborValue, now: number, windowMs = DEFAULT_ACCESS_WINDOW_MS): void {
  if (!bytesEqual(messagingAddress(access.key), access.account)) {
    throw new WorkerError('WRONG_CLIENT', 'the key does not own this mailbox', { field: 'access.key' });
  }
  const skew = Number(access.time) - now;
  if (Math.abs(skew) > windowMs) throw new WorkerError('EXPIRED', `signed ${skew} ms from now`, { field: 'access.time' });
  let key: Ed25519PublicKey;
  try {
    key = new Ed25519PublicKey(access.key);
  } catch (cause) {
    throw new WorkerError('BAD_SIGNATURE', 'not an Ed25519 key', { field: 'access.key', cause });
  }
  if (!key.verify(accessBytes(method, access.account, access.time, args), access.sig)) {
    throw new WorkerError('BAD_SIGNATURE', 'mailbox access signature does not verify', { field: 'access.sig' });
  }
}
