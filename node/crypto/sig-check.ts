/**
 * One signature-verification function for every scheme the ledger meets, and a cache of signatures already found
 * valid. A manager checks a transaction's signatures when it admits it; the same bytes come back when it builds a
 * block and when it applies the decided one, and a channel's session authorisation comes back with every
 * settlement. The cache lets each (scheme, key, message, signature) be verified once per process — the role of
 * Bitcoin Core's signature cache. Only valid results are kept: a forged signature is checked every time it is
 * shown, so no input can make a later valid one fail, and a fixed capacity bounds what peers can make it hold.
 */
import { createHash } from 'node:crypto';
import { Ed25519PublicKey } from './node-key.ts';
import { verifySignature } from './keys.ts';
import type { Scheme } from './scheme.ts';

export type SigScheme = Scheme | 'ed25519';

/** True only if `sig` is a valid signature of `message` by `key` under `scheme`; never throws. */
export type VerifySig = (scheme: SigScheme, key: Uint8Array, message: Uint8Array, sig: Uint8Array) => boolean;

/** Verifies every time. */
export const verifyAny: VerifySig = (scheme, key, message, sig) => {
  if (scheme !== 'ed25519') return verifySignature(scheme, key, message, sig);
  try {
    return new Ed25519PublicKey(key).verify(message, sig);
  } catch {
    return false;
  }
};

const SCHEME_TAG: Readonly<Record<SigScheme, string>> = { ed25519: 'e', falcon: 'f', ecdsa: 's' };

function lengthPrefix(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export interface SignatureCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

const EDKEY_CAPACITY = 4096;

/** Remembers up to `capacity` valid signatures (least recently used first out). */
export class SignatureCache {
  readonly #valid = new Map<string, true>();
  /**
   * Ed25519 verifiers by key: making the KeyObject costs more than the verification itself, and the same keys
   * come back all the time (a channel's session key in every receipt, the members' node keys).
   */
  readonly #edKeys = new Map<string, Ed25519PublicKey | null>();
  readonly #capacity: number;
  readonly #inner: VerifySig;
  #hits = 0;
  #misses = 0;

  constructor(options: { readonly capacity?: number; readonly verify?: VerifySig } = {}) {
    this.#capacity = options.capacity ?? 100_000;
    this.#inner = options.verify ?? ((scheme, key, message, sig) => (scheme === 'ed25519' ? this.#ed25519(key, message, sig) : verifyAny(scheme, key, message, sig)));
  }

  #ed25519(key: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
    const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
    let verifier = this.#edKeys.get(id);
    if (verifier === undefined) {
      try {
        verifier = new Ed25519PublicKey(key);
      } catch {
        verifier = null;
      }
      this.#edKeys.set(id, verifier);
      if (this.#edKeys.size > EDKEY_CAPACITY) this.#edKeys.delete(this.#edKeys.keys().next().value!);
    }
    return verifier !== null && verifier.verify(message, sig);
  }

  /** A VerifySig backed by this cache (bound, so it can be handed around). */
  readonly verify: VerifySig = (scheme, key, message, sig) => {
    // Length prefixes keep (key, message, sig) splits apart: no two inputs hash the same bytes.
    const id = createHash('sha256')
      .update(SCHEME_TAG[scheme])
      .update(lengthPrefix(key.length))
      .update(key)
      .update(lengthPrefix(message.length))
      .update(message)
      .update(sig)
      .digest('base64');
    if (this.#valid.delete(id)) {
      this.#valid.set(id, true);
      this.#hits += 1;
      return true;
    }
    this.#misses += 1;
    if (!this.#inner(scheme, key, message, sig)) return false;
    this.#valid.set(id, true);
    if (this.#valid.size > this.#capacity) this.#valid.delete(this.#valid.keys().next().value!);
    return true;
  };

  stats(): SignatureCacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#valid.size };
  }
}
