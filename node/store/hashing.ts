/**
 * The tree's hash functions (docs/store.md "Authentication"): SHA-256 through node:crypto, with results as
 * latin1 strings on the write path.
 */
import { hash } from 'node:crypto';
import { KEY_LENGTH } from './nibble-path.ts';

export const HASH_LENGTH = 32;

/**
 * A hash on the write path: a 32-character latin1 string straight from the hasher (a Buffer result costs an
 * ArrayBuffer per hash, ~1.5 µs of a 2 µs hash), or a view of 32 bytes inside a node.
 */
export type Hash = string | Uint8Array;

export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

export function sha256Latin1(data: Uint8Array): string {
  return hash('sha256', data, 'binary'); // 'binary' is latin1: one char per byte
}

export function hashBytes(value: Hash): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function writeHash(out: Buffer, offset: number, value: Hash): void {
  if (typeof value === 'string') out.write(value, offset, 'latin1');
  else out.set(value, offset);
}

export function emptyRoot(): Uint8Array {
  return new Uint8Array(HASH_LENGTH);
}

function leafPreimage(key: Uint8Array, valueHash: Hash, scratch?: Buffer): Buffer {
  const preimage = scratch ?? Buffer.allocUnsafe(1 + KEY_LENGTH + HASH_LENGTH);
  preimage[0] = 0x00;
  preimage.set(key, 1);
  writeHash(preimage, 1 + KEY_LENGTH, valueHash);
  return preimage;
}

/** Leaf hash = SHA-256(0x00 ‖ key ‖ SHA-256(value)). */
export function leafHash(key: Uint8Array, valueHash: Hash): Buffer {
  return sha256(leafPreimage(key, valueHash));
}

/** The leaf hash of (key, value); `scratch` (65 bytes) is reused by hot callers. */
export function leafHashLatin1(key: Uint8Array, value: Uint8Array, scratch?: Buffer): string {
  return sha256Latin1(leafPreimage(key, sha256Latin1(value), scratch));
}

