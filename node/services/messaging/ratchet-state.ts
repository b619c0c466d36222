/**
 * The Double Ratchet's state (Signal's DHs, DHr, RK, CKs, CKr, Ns, Nr, PN, MKSKIPPED) and its canonical CBOR form,
 * which a client persists. The form holds secrets; decoding checks shape and bounds only (MALFORMED), since the
 * bytes come from the client's own disk.
 */
import { s } from '../../wire/index.ts';
import { ServiceError } from '../errors.ts';
import { x25519KeyPair, X25519_KEY_LENGTH, type X25519KeyPair } from './primitives.ts';

/** Message keys one incoming message may make us skip (Signal's MAX_SKIP). */
export const MAX_SKIP = 1000;
/** Skipped message keys kept in all, oldest dropped first, so a state stays bounded whatever peers send. */
export const MAX_SKIPPED_KEYS = 2000;
/** Ended receiving chains remembered, so a replay of their messages is told apart from a forgery. */
export const MAX_CLOSED_CHAINS = 32;
export const MAX_COUNTER = 0xffff_ffff;

const key32 = s.bytes({ len: 32 });
const counter = s.uint({ max: MAX_COUNTER });

export const ratchetStateSchema = s.struct({
  dhs: s.bytes({ len: X25519_KEY_LENGTH }),
  dhr: s.optional(s.bytes({ len: X25519_KEY_LENGTH })),
  rk: key32,
  cks: s.optional(key32),
  ckr: s.optional(key32),
  ns: counter,
  nr: counter,
  pn: counter,
  skipped: s.array(s.struct({ dh: s.bytes({ len: X25519_KEY_LENGTH }), n: counter, mk: key32 }), { max: MAX_SKIPPED_KEYS }),
  closed: s.array(s.struct({ dh: s.bytes({ len: X25519_KEY_LENGTH }), end: counter }), { max: MAX_CLOSED_CHAINS }),
});

export interface SkippedKey {
  readonly dh: Uint8Array;
  readonly n: number;
  readonly mk: Uint8Array;
}

/** A receiving chain the ratchet has moved past; `end` is the number of messages it had (the sender's PN). */
export interface ClosedChain {
  readonly dh: Uint8Array;
  readonly end: number;
}

export interface RatchetState {
  readonly dhs: X25519KeyPair;
  readonly dhr: Uint8Array | undefined;
  readonly rk: Uint8Array;
  readonly cks: Uint8Array | undefined;
  readonly ckr: Uint8Array | undefined;
  readonly ns: number;
  readonly nr: number;
  readonly pn: number;
  /** By skippedKey(dh, n), in the order they were made (a Map keeps insertion order). */
  readonly skipped: ReadonlyMap<string, SkippedKey>;
  /** Oldest first. */
  readonly closed: readonly ClosedChain[];
}

export function skippedKey(dh: Uint8Array, n: number): string {
  return `${Buffer.from(dh).toString('hex')}:${n}`;
}

/** The state as a CBOR value (for the session's encoding, which nests it). */
export function ratchetStateValue(state: RatchetState): Record<string, unknown> {
  const value: Record<string, unknown> = {
    dhs: state.dhs.secret,
    rk: state.rk,
    ns: state.ns,
    nr: state.nr,
    pn: state.pn,
    skipped: [...state.skipped.values()].map((k) => ({ dh: k.dh, n: k.n, mk: k.mk })),
    closed: state.closed.map((c) => ({ dh: c.dh, end: c.end })),
  };
  if (state.dhr !== undefined) value['dhr'] = state.dhr;
  if (state.cks !== undefined) value['cks'] = state.cks;
  if (state.ckr !== undefined) value['ckr'] = state.ckr;
  return value;
}

/** The state from its parsed CBOR value; MALFORMED when the parts do not fit together. */
export function ratchetStateFrom(raw: ReturnType<typeof ratchetStateSchema.parse>): RatchetState {
  if (raw.ckr !== undefined && raw.dhr === undefined) {
    throw new ServiceError('MALFORMED', 'ratchet state: a receiving chain without its remote ratchet key');
  }
  const skipped = new Map<string, SkippedKey>();
  for (const k of raw.skipped) {
    const id = skippedKey(k.dh, k.n);
    if (skipped.has(id)) throw new ServiceError('MALFORMED', 'ratchet state: a skipped message key appears twice');
    skipped.set(id, { dh: k.dh, n: k.n, mk: k.mk });
  }
  return {
    dhs: x25519KeyPair(raw.dhs),
    dhr: raw.dhr,
    rk: raw.rk,
    cks: raw.cks,
    ckr: raw.ckr,
    ns: raw.ns,
    nr: raw.nr,
    pn: raw.pn,
    skipped,
    closed: raw.closed.map((c) => ({ dh: c.dh, end: c.end })),
  };
}
