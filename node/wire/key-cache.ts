/**
 * Sender keys seen recently, as ready verifiers. Building a node:crypto key object costs about as much as one
 * verification (≈ 50 µs), and a node hears the same few hundred peers again and again, so a small LRU halves the
 * cost of decoding an envelope. It belongs to a Registry (no module-level state) and is bounded, so a peer
 * sending from ever-new keys only evicts entries.
 */
import { Ed25519PublicKey } from '../crypto/node-key.ts';

export const DEFAULT_KEY_CACHE_SIZE = 1024;

export class KeyCache {
  readonly #capacity: number;
  readonly #keys = new Map<string, Ed25519PublicKey>();

  constructor(capacity = DEFAULT_KEY_CACHE_SIZE) {
    this.#capacity = capacity;
  }

  /** The verifier for these 32 bytes; throws CryptoError BAD_KEY like the Ed25519PublicKey constructor. */
  get(bytes: Uint8Array): Ed25519PublicKey {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    let key = this.#keys.get(id);
    if (key !== undefined) {
      this.#keys.delete(id); // re-insert: Map iteration order is the LRU order
    } else {
      key = new Ed25519PublicKey(bytes);
      if (this.#keys.size >= this.#capacity) this.#keys.delete(this.#keys.keys().next().value!);
    }
    this.#keys.set(id, key);
    return key;
  }

  get size(): number {
    return this.#keys.size;
  }
}
