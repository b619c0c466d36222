/**
 * Store-and-forward on the relay side (SPEC §3 "workers relay ciphertext only"): a worker keeps the envelopes
 * addressed to an account until the account's client collects and acknowledges them. Envelopes are opaque bytes
 * here; nothing in a mailbox is ever decoded, so a relay has nothing to learn from one but sizes and times.
 *
 * Every deposit gets a sequence number, increasing across the store and never reused, which is the client's
 * cursor: list after the last one seen, then acknowledge what was processed (acknowledging twice is harmless).
 * Each account is bounded in messages and bytes; a deposit past either is MAILBOX_FULL, so one busy or hostile
 * sender cannot fill a worker's disk.
 */
import { ServiceError } from '../errors.ts';
import { MAX_ENVELOPE_SIZE } from './envelope.ts';
import { ADDRESS_LENGTH } from './identity.ts';

export interface MailItem {
  readonly seq: number;
  readonly envelope: Uint8Array;
}

export interface MailboxUsage {
  readonly messages: number;
  readonly bytes: number;
}

export interface MailboxLimits {
  /** Envelopes held per account. */
  readonly maxMessages: number;
  /** Envelope bytes held per account. */
  readonly maxBytes: number;
  /** Largest single envelope. */
  readonly maxEnvelopeSize: number;
}

export const DEFAULT_MAILBOX_LIMITS: MailboxLimits = {
  maxMessages: 1000,
  maxBytes: 16 * 1024 * 1024,
  maxEnvelopeSize: MAX_ENVELOPE_SIZE,
};

/** Items one list call returns at most. */
export const MAX_LIST = 256;

export interface Mailbox {
  /** Keeps `envelope` for `account`; returns its sequence number. MAILBOX_FULL, TOO_LARGE, MALFORMED, CLOSED. */
  deposit(account: Uint8Array, envelope: Uint8Array): number;
  /** Up to `limit` (≤ MAX_LIST) items with seq > `after`, oldest first. */
  list(account: Uint8Array, after?: number, limit?: number): MailItem[];
  /** Deletes the given items of `account` (others' and unknown ones are ignored); returns how many went. */
  ack(account: Uint8Array, seqs: readonly number[]): number;
  usage(account: Uint8Array): MailboxUsage;
  /** Runs `fn`, whose deposits and acks (each all-or-nothing on its own) become durable together: one sync. */
  group(fn: () => void): void;
  close(): void;
}

export function mailboxLimits(overrides: Partial<MailboxLimits> = {}): MailboxLimits {
  const limits = { ...DEFAULT_MAILBOX_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ServiceError('MALFORMED', `mailbox limit ${name} must be ≥ 1`);
  }
  return limits;
}

export function checkAccount(account: Uint8Array): void {
  if (!(account instanceof Uint8Array) || account.length !== ADDRESS_LENGTH) {
    throw new ServiceError('MALFORMED', `an account address is ${ADDRESS_LENGTH} bytes`);
  }
}

/** Checks a deposit against the limits, given what the account already holds. */
export function checkDeposit(envelope: Uint8Array, held: MailboxUsage, limits: MailboxLimits): void {
  if (!(envelope instanceof Uint8Array) || envelope.length === 0) {
    throw new ServiceError('MALFORMED', 'an envelope is a non-empty byte string');
  }
  if (envelope.length > limits.maxEnvelopeSize) {
    throw new ServiceError('TOO_LARGE', `envelope of ${envelope.length} bytes exceeds ${limits.maxEnvelopeSize}`);
  }
  if (held.messages + 1 > limits.maxMessages) {
    throw new ServiceError('MAILBOX_FULL', `mailbox holds its maximum of ${limits.maxMessages} messages`);
  }
  if (held.bytes + envelope.length > limits.maxBytes) {
    throw new ServiceError('MAILBOX_FULL', `mailbox would exceed its maximum of ${limits.maxBytes} bytes`);
  }
}

/** Normalises list arguments: a cursor ≥ 0 and a limit in 1…MAX_LIST. */
export function listArgs(after = 0, limit = MAX_LIST): { after: number; limit: number } {
  if (!Number.isSafeInteger(after) || after < 0) throw new ServiceError('MALFORMED', 'a cursor is an integer ≥ 0');
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ServiceError('MALFORMED', 'a list limit is an integer ≥ 1');
  if (limit > MAX_LIST) throw new ServiceError('TOO_LARGE', `a list returns at most ${MAX_LIST} items`);
  return { after, limit };
}

export function checkSeqs(seqs: readonly number[]): void {
  if (!Array.isArray(seqs) || seqs.length > MAX_LIST) {
    throw new ServiceError('TOO_LARGE', `an acknowledgement names at most ${MAX_LIST} items`);
  }
  for (const seq of seqs) {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new ServiceError('MALFORMED', 'a sequence number is an integer ≥ 1');
  }
}
