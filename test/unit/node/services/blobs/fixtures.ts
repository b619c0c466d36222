/** Shared helpers of the blob tests: reproducible content, byte flips, and the sizes that sit on boundaries. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { DEFAULT_CHUNK_SIZE, SEGMENT_SIZE } from '../../../../../node/services/blobs/index.ts';
import { seededRandom } from '../../../../support/seeded.ts';

/** Four segments per chunk: small enough for many property runs, large enough for in-chunk paths. */
export const SMALL_CHUNK = 4 * SEGMENT_SIZE;

/** `size` reproducible pseudo-random bytes. */
export function content(size: number, seed: number): Uint8Array {
  const next = seededRandom(seed);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let i = 0;
  for (; i + 4 <= size; i += 4) view.setUint32(i, Math.floor(next() * 2 ** 32));
  for (; i < size; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** A copy of `bytes` with one bit flipped. */
export function flipped(bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 1 << bit;
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Deterministic 32-byte values (nonces, fake hashes) from a label. */
export function bytes32(label: string | number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(String(label)).digest());
}

/** Sizes on the boundaries of segments and chunks of `chunkSize`, around one and several chunks. */
export function edgeSizes(chunkSize: number): number[] {
  const S = SEGMENT_SIZE;
  const C = chunkSize;
  return [0, 1, S - 1, S, S + 1, C - 1, C, C + 1, 2 * C, 3 * C + S + 7];
}

/** A blob size: a boundary size of SMALL_CHUNK or any size up to six small chunks. */
export const arbSize = fc.oneof(fc.constantFrom(...edgeSizes(SMALL_CHUNK)), fc.nat(6 * SMALL_CHUNK));

export const DEFAULT_EDGE_SIZES = edgeSizes(DEFAULT_CHUNK_SIZE);

/**
 * Accepts when `fn` returns or throws an error of `errorClass`; anything else (a crash) fails the property.
 * For fuzzing decoders of untrusted bytes.
 */
export function onlyThrows(errorClass: abstract new (...args: never[]) => Error, fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (error instanceof errorClass) return true;
    throw error;
  }
}

/** Bit flips, truncations, insertions and byte replacements of a valid encoding. */
export { mutation } from '../../../../support/mutation.ts';
