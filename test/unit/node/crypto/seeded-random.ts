/**
 * Deterministic randomness for tests: the AES-256-CTR keystream under a key derived from a label, so every run
 * of a test sees the same "random" keys, addresses and mutations.
 */
import { createCipheriv, createHash } from 'node:crypto';

export type Random = (length: number) => Uint8Array;

export function seededRandom(label: string): Random {
  const key = createHash('sha256').update(`AME test PRNG: ${label}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (length) => new Uint8Array(cipher.update(Buffer.alloc(length)));
}

/** A uniform integer in [0, bound) (bound ≤ 2^32), by rejection so there is no modulo bias. */
export function randomInt(random: Random, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const b = random(4);
    const v = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
    if (v < limit) return v % bound;
  }
}
