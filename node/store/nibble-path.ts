/**
 * Nibble paths: a node's position in the 16-ary tree is the first `depth` nibbles of the keys below it. A path is
 * kept as a lowercase hex string (one character per nibble) because that one form serves as the SQLite key, the
 * cache key and, sorted as a string, the pre-order in which a commit appends its nodes.
 */
export const KEY_LENGTH = 32;
/** A key has 64 nibbles; an internal node sits at depth 0..63 and a leaf at most at depth 64. */
export const MAX_DEPTH = KEY_LENGTH * 2;

export const HEX_DIGITS = '0123456789abcdef';
const HEX_NIBBLE: readonly string[] = HEX_DIGITS.split('');

/** The nibble of `key` at position `depth` (0 = high nibble of byte 0). */
export function nibbleAt(key: Uint8Array, depth: number): number {
  const byte = key[depth >> 1]!;
  return (depth & 1) === 0 ? byte >> 4 : byte & 15;
}

export function hexNibble(nibble: number): string {
  return HEX_NIBBLE[nibble]!;
}

export function keyHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

const PATH_PATTERN = /^[0-9a-f]{0,63}$/;

/** A well-formed internal-node path (what verify() accepts from a row). */
export function isNodePath(path: string): boolean {
  return PATH_PATTERN.test(path);
}

/** True when the first `depth` nibbles of `key` spell `path`. */
export function keyHasPrefix(key: Uint8Array, path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    if (HEX_NIBBLE[nibbleAt(key, i)] !== path[i]) return false;
  }
  return true;
}

/** Number of leading nibbles two keys share. */
export function sharedNibbles(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < KEY_LENGTH; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 2 + (x >= 16 ? 0 : 1);
  }
  return MAX_DEPTH;
}

/** Packs a path into bytes (length byte, then two nibbles a byte), the form stale-index entries use. */
export function packPath(path: string, out: number[]): void {
  out.push(path.length);
  for (let i = 0; i < path.length; i += 2) {
    const hi = HEX_DIGITS.indexOf(path[i]!);
    const lo = i + 1 < path.length ? HEX_DIGITS.indexOf(path[i + 1]!) : 0;
    out.push((hi << 4) | lo);
  }
}

/** Inverse of packPath; returns undefined for bytes that are not a packed path (an odd path's pad nibble set). */
export function unpackPath(bytes: Uint8Array, offset: number): { path: string; end: number } | undefined {
  const length = bytes[offset];
  if (length === undefined || length >= MAX_DEPTH) return undefined;
  const end = offset + 1 + ((length + 1) >> 1);
  if (end > bytes.length) return undefined;
  let path = '';
  for (let i = 0; i < length; i++) path += HEX_NIBBLE[nibbleAt(bytes.subarray(offset + 1), i)];
  if ((length & 1) === 1 && (bytes[end - 1]! & 15) !== 0) return undefined;
  return { path, end };
}
