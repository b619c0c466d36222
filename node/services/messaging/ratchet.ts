/**
 * The Double Ratchet of Signal's specification (revision 4), with:
 *
 *   KDF_RK(rk, dh)  = HKDF-SHA-256(ikm = dh, salt = rk, info = 'AME-DR-ROOT-v1', 64) → (rk', ck)
 *   KDF_CK(ck)      = (HMAC-SHA-256(ck, 0x02) → ck', HMAC-SHA-256(ck, 0x01) → mk)
 *   ENCRYPT(mk)     = AES-256-GCM under key ‖ nonce = HKDF-SHA-256(ikm = mk, salt = empty, info = 'AME-DR-MSG-v1', 44),
 *                     associated data = the session's AD ‖ cbor(header)
 *
 * A message key encrypts one message only, so the nonce can come from the key. Every operation is a pure function
 * from a state to a new state: a message that fails to open leaves the caller's state exactly as it was (Signal's
 * "discard changes"), so a forged message cannot advance, fill or corrupt a session.
 *
 * A message key is deleted once its message opened, so a replay finds no key: REPLAY when its chain is known (the
 * current one below Nr, or a closed one below its end), DECRYPT_FAILED otherwise.
 */
import { bytesEqual, concatBytes, hkdfSha256, type RandomSource } from '../../crypto/index.ts';
import { ServiceError } from '../errors.ts';
import { encodeValue } from './codec.ts';
import { gcmOpen, gcmSeal, generateX25519, hmacSha256, x25519, x25519KeyPair } from './primitives.ts';
import {
  type ClosedChain,
  MAX_CLOSED_CHAINS,
  MAX_COUNTER,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  type RatchetState,
  type SkippedKey,
  skippedKey,
} from './ratchet-state.ts';

export const ROOT_INFO = 'AME-DR-ROOT-v1';
export const MESSAGE_INFO = 'AME-DR-MSG-v1';

export interface Header {
  /** The sender's current ratchet public key. */
  readonly dh: Uint8Array;
  /** Messages in the sender's previous sending chain. */
  readonly pn: number;
  /** This message's number in its chain. */
  readonly n: number;
}

export function encodeHeader(header: Header): Uint8Array {
  return encodeValue({ dh: header.dh, pn: header.pn, n: header.n }, 'header');
}

export function kdfRoot(rk: Uint8Array, dhOut: Uint8Array): [rootKey: Uint8Array, chainKey: Uint8Array] {
  const out = hkdfSha256(dhOut, rk, ROOT_INFO, 64);
  return [out.slice(0, 32), out.slice(32)];
}

export function kdfChain(ck: Uint8Array): [chainKey: Uint8Array, messageKey: Uint8Array] {
  return [hmacSha256(ck, Uint8Array.of(0x02)), hmacSha256(ck, Uint8Array.of(0x01))];
}

function cipherOf(mk: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const out = hkdfSha256(mk, new Uint8Array(0), MESSAGE_INFO, 44);
  return { key: out.slice(0, 32), nonce: out.slice(32) };
}

export function sealMessage(mk: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, header: Header): Uint8Array {
  const { key, nonce } = cipherOf(mk);
  return gcmSeal(key, nonce, plaintext, concatBytes(ad, encodeHeader(header)));
}

/** DECRYPT_FAILED unless `mk`, the session's AD and the header are the ones the message was sealed with. */
export function openMessage(mk: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array, header: Header): Uint8Array {
  const { key, nonce } = cipherOf(mk);
  return gcmOpen(key, nonce, ciphertext, concatBytes(ad, encodeHeader(header)));
}

/** Alice, after the handshake: she knows Bob's first ratchet key (his signed prekey's X25519 part). */
export function initSender(sharedKey: Uint8Array, remoteKey: Uint8Array, random: RandomSource): RatchetState {
  const dhs = generateX25519(random);
  const [rk, cks] = kdfRoot(sharedKey, x25519(dhs.secret, remoteKey));
  return { dhs, dhr: remoteKey, rk, cks, ckr: undefined, ns: 0, nr: 0, pn: 0, skipped: new Map(), closed: [] };
}

/** Bob, before his first message in: his ratchet key pair is his signed prekey's X25519 part. */
export function initReceiver(sharedKey: Uint8Array, ratchetSecret: Uint8Array): RatchetState {
  const dhs = x25519KeyPair(ratchetSecret);
  return {
    dhs,
    dhr: undefined,
    rk: sharedKey,
    cks: undefined,
    ckr: undefined,
    ns: 0,
    nr: 0,
    pn: 0,
    skipped: new Map(),
    closed: [],
  };
}

export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  ad: Uint8Array,
): { state: RatchetState; header: Header; ciphertext: Uint8Array } {
  if (state.cks === undefined) throw new ServiceError('MALFORMED', 'ratchet state has no sending chain');
  if (state.ns >= MAX_COUNTER) throw new ServiceError('TOO_LARGE', 'sending chain exhausted');
  const [cks, mk] = kdfChain(state.cks);
  const header: Header = { dh: state.dhs.publicKey, pn: state.pn, n: state.ns };
  return { state: { ...state, cks, ns: state.ns + 1 }, header, ciphertext: sealMessage(mk, plaintext, ad, header) };
}

/** A state under construction inside one decrypt; it escapes only when the message opened. */
type Draft = { -readonly [K in keyof RatchetState]: RatchetState[K] };

function skipTo(draft: Draft, skipped: Map<string, SkippedKey>, until: number, maxSkip: number): void {
  if (draft.ckr === undefined || draft.dhr === undefined) return;
  if (until - draft.nr > maxSkip) {
    const ahead = until - draft.nr;
    throw new ServiceError('TOO_MANY_SKIPPED', `message ${until} is ${ahead} ahead of its chain (at most ${maxSkip})`);
  }
  while (draft.nr < until) {
    const [ckr, mk] = kdfChain(draft.ckr);
    skipped.set(skippedKey(draft.dhr, draft.nr), { dh: draft.dhr, n: draft.nr, mk });
    draft.ckr = ckr;
    draft.nr += 1;
  }
  // Oldest first out: a peer that keeps skipping cannot grow the state without bound.
  for (const id of skipped.keys()) {
    if (skipped.size <= MAX_SKIPPED_KEYS) break;
    skipped.delete(id);
  }
}

function dhRatchet(draft: Draft, remote: Uint8Array, random: RandomSource): void {
  if (draft.dhr !== undefined && draft.ckr !== undefined) {
    const closed: ClosedChain[] = [...draft.closed, { dh: draft.dhr, end: draft.nr }];
    draft.closed = closed.slice(-MAX_CLOSED_CHAINS);
  }
  draft.pn = draft.ns;
  draft.ns = 0;
  draft.nr = 0;
  draft.dhr = remote;
  [draft.rk, draft.ckr] = kdfRoot(draft.rk, x25519(draft.dhs.secret, remote));
  draft.dhs = generateX25519(random);
  [draft.rk, draft.cks] = kdfRoot(draft.rk, x25519(draft.dhs.secret, remote));
}

export interface DecryptOptions {
  readonly random: RandomSource;
  readonly maxSkip?: number;
}

/**
 * Opens one message. Returns the new state; the input state is never changed. REPLAY, TOO_MANY_SKIPPED,
 * DECRYPT_FAILED, BAD_KEY (a header key that is not a usable point).
 */
export function ratchetDecrypt(
  state: RatchetState,
  header: Header,
  ciphertext: Uint8Array,
  ad: Uint8Array,
  options: DecryptOptions,
): { state: RatchetState; plaintext: Uint8Array } {
  const maxSkip = Math.min(options.maxSkip ?? MAX_SKIP, MAX_SKIP);
  const skipped = new Map(state.skipped);
  const id = skippedKey(header.dh, header.n);
  const kept = skipped.get(id);
  if (kept !== undefined) {
    const plaintext = openMessage(kept.mk, ciphertext, ad, header);
    skipped.delete(id);
    return { state: { ...state, skipped }, plaintext };
  }
  const draft: Draft = { ...state, skipped };
  if (draft.dhr !== undefined && draft.ckr !== undefined && bytesEqual(header.dh, draft.dhr)) {
    if (header.n < draft.nr) throw new ServiceError('REPLAY', `message ${header.n} was already received`);
  } else {
    const closed = draft.closed.find((c) => bytesEqual(c.dh, header.dh));
    if (closed !== undefined) {
      if (header.n < closed.end) {
        throw new ServiceError('REPLAY', `message ${header.n} of an ended chain was already received`);
      }
      throw new ServiceError('DECRYPT_FAILED', `message ${header.n} lies beyond the end of its chain (${closed.end})`);
    }
    skipTo(draft, skipped, header.pn, maxSkip);
    dhRatchet(draft, header.dh, options.random);
  }
  skipTo(draft, skipped, header.n, maxSkip);
  const [ckr, mk] = kdfChain(draft.ckr!);
  const plaintext = openMessage(mk, ciphertext, ad, header);
  draft.ckr = ckr;
  draft.nr += 1;
  return { state: draft, plaintext };
}
