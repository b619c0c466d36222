/**
 * Seeded randomness for the simulator (the Random interface of node/net/types.ts): xoshiro128** seeded from
 * SHA-256 of the seed text, so a seed names one stream on every machine. fork(label) derives an independent
 * stream without drawing from this one, so adding a consumer (a new link, a new peer) does not shift the numbers
 * everyone else sees.
 */
import { sha256, utf8 } from '../../crypto/index.ts';
import type { Random } from '../types.ts';
import { SimError } from './errors.ts';

export interface SeededRandom extends Random {
  readonly seed: string;
  /** A uniform integer in [0, bound), bound ≤ 2^32. */
  int(bound: number): number;
  /** An independent stream named by this seed and `label`. */
  fork(label: string): SeededRandom;
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

export function seededRandom(seed: number | string): SeededRandom {
  const text = String(seed);
  const digest = sha256(utf8(`AME sim random: ${text}`));
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const s = Uint32Array.of(view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12));
  // xoshiro's state must not be all zero; SHA-256 makes that a 2^-128 event, handled anyway.
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };

  const random: SeededRandom = {
    seed: text,
    // 53 random bits: every double in [0, 1) on the 2^-53 grid is equally likely.
    next: () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992,
    bytes(n: number): Uint8Array {
      if (!Number.isSafeInteger(n) || n < 0) throw new SimError('BAD_ARGUMENT', `cannot draw ${n} bytes`);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const word = nextU32();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (24 - 8 * j)) & 0xff;
      }
      return out;
    },
    int(bound: number): number {
      if (!Number.isSafeInteger(bound) || bound < 1 || bound > 2 ** 32) {
        throw new SimError('BAD_ARGUMENT', `int bound must be 1…2^32, got ${bound}`);
      }
      // Rejection keeps every value equally likely (no modulo bias).
      const limit = Math.floor(2 ** 32 / bound) * bound;
      for (;;) {
        const v = nextU32();
        if (v < limit) return v % bound;
      }
    },
    fork: (label: string) => seededRandom(`${text}/${label}`),
  };
  return random;
}
