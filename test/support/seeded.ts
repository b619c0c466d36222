import { sha256, u64be, utf8 } from '../../node/crypto/index.ts';
/** A small deterministic PRNG (mulberry32) for tests whose random choices must reproduce from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic random bytes (a RandomSource): SHA-256 in counter mode from a label. */
export function labelledBytes(label: string): (n: number) => Uint8Array {
  let counter = 0n;
  return (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32) out.set(sha256(new Uint8Array([...utf8(label), ...u64be(counter++)])).subarray(0, Math.min(32, n - at)), at);
    return out;
  };
}
