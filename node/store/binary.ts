/** Small binary helpers of the node and row encodings. */

export function popcount16(x: number): number {
  x -= (x >> 1) & 0x5555;
  x = (x & 0x3333) + ((x >> 2) & 0x3333);
  x = (x + (x >> 4)) & 0x0f0f;
  return (x + (x >> 8)) & 0x1f;
}

export function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length += 1;
  }
  return length;
}

export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    out[offset++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

/** Reads a canonical LEB128 number ≤ 2^53 − 1; returns undefined for truncated, overlong or too-large input. */
export function readVarint(data: Uint8Array, offset: number): { value: number; end: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const byte = data[offset + i];
    if (byte === undefined) return undefined;
    value += (byte & 127) * scale;
    if (byte < 128) {
      if (byte === 0 && i > 0) return undefined; // overlong: a trailing zero group
      return Number.isSafeInteger(value) ? { value, end: offset + i + 1 } : undefined;
    }
    scale *= 128;
  }
  return undefined;
}

/**
 * FNV-1a (32 bit) of data[start, end). Each step is a bijection of the running state, so any single changed byte
 * changes the result; it guards bytes that no hash covers, it is not an authenticator.
 */
export function fnv1a(data: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

