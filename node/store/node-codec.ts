/**
 * The binary form of internal nodes (docs/store.md "Authentication").
 *
 * A node's bytes are laid out so that their start IS the node's hash preimage —
 *   0x01 ‖ child bitmap (u16 BE) ‖ the present children's hashes in nibble order
 * — followed by the leaf bitmap (u16 BE, which children are leaves), each child's version (LEB128, nibble
 * order), each leaf child's key (32 bytes, nibble order), and a 4-byte FNV-1a check of the leaf bitmap and
 * versions: the only bytes no hash covers, so that verify() catches a changed byte there too. Hashing a node is
 * one SHA-256 over a subarray, with no copying. Parents keep their leaf children's keys so a write can tell
 * "same key" from "another key here" (and split) without reading the leaf, and a leaf is stored under
 * (valueVersion, key), so a leaf pushed down by a split or pulled up by a delete is never rewritten.
 */
import { fnv1a, popcount16, readVarint } from './binary.ts';
import type { NodeArena } from './arena.ts';
import { StoreError } from './errors.ts';
import { HASH_LENGTH, sha256Latin1 } from './hashing.ts';
import { KEY_LENGTH } from './nibble-path.ts';

// Helpers the rest of the store reaches through this module.
export { fnv1a, popcount16, readVarint, varintLength, writeVarint } from './binary.ts';
export { emptyRoot, type Hash, HASH_LENGTH, hashBytes, leafHash, leafHashLatin1, sha256, sha256Latin1 } from './hashing.ts';

/** Child kinds, as stored in a ChildSlots row and in refs. */
export const EMPTY = 0;
export const LEAF = 1;
export const INTERNAL = 2;
export type ChildKind = typeof EMPTY | typeof LEAF | typeof INTERNAL;

export const CHECK_LENGTH = 4;

/** Bytes of a node somewhere in a buffer (an arena chunk, or a row read from SQLite). */
export interface NodeBytes {
  readonly buf: Uint8Array;
  readonly off: number;
  readonly length: number;
}

/**
 * A decoded internal node: a few numbers over the node's bytes, which live at (buf, off) — usually inside a
 * shared arena chunk, so a cached node costs its bytes and one object. Child versions are read from the bytes
 * on demand, and the node's own hash is not kept. Offsets below are relative to the node's first byte.
 */
export class InternalNode implements NodeBytes {
  /** The buffer holding the node (an arena chunk; moved, never changed, when the arena compacts). */
  buf: Buffer;
  off: number;
  readonly length: number;
  /** The version in the node's key (the commit that wrote it). */
  readonly version: number;
  readonly bitmap: number;
  readonly leafmap: number;
  readonly versionsStart: number;
  readonly keysStart: number;

  constructor(
    version: number,
    buf: Buffer,
    off: number,
    length: number,
    bitmap: number,
    leafmap: number,
    versionsStart: number,
    keysStart: number,
  ) {
    this.version = version;
    this.buf = buf;
    this.off = off;
    this.length = length;
    this.bitmap = bitmap;
    this.leafmap = leafmap;
    this.versionsStart = versionsStart;
    this.keysStart = keysStart;
  }

  /**
   * The same node in its own bytes, for holders that outlive the current call (a lazy scan): arena chunks are
   * recycled after compaction, so only cached nodes may point into them across calls.
   */
  snapshot(): InternalNode {
    const own = Buffer.from(this.buf.subarray(this.off, this.off + this.length));
    return new InternalNode(this.version, own, 0, this.length, this.bitmap, this.leafmap, this.versionsStart, this.keysStart);
  }

  /** A view of the node's bytes (for the paths that are not hot: proofs, verify). */
  get data(): Buffer {
    return this.buf.subarray(this.off, this.off + this.length);
  }

  get count(): number {
    return popcount16(this.bitmap);
  }

  has(nibble: number): boolean {
    return ((this.bitmap >> nibble) & 1) === 1;
  }

  isLeaf(nibble: number): boolean {
    return ((this.leafmap >> nibble) & 1) === 1;
  }

  childVersion(nibble: number): number {
    const buf = this.buf;
    let at = this.off + this.versionsStart;
    // Skip the varints of the children before this one (each ends at a byte below 128).
    for (let skip = popcount16(this.bitmap & ((1 << nibble) - 1)); skip > 0; at++) if (buf[at]! < 128) skip--;
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[at++]!;
      value += (byte & 127) * scale;
      if (byte < 128) return value;
      scale *= 128;
    }
  }

  childHashOffset(nibble: number): number {
    return 3 + HASH_LENGTH * popcount16(this.bitmap & ((1 << nibble) - 1));
  }

  childHash(nibble: number): Uint8Array {
    const at = this.off + this.childHashOffset(nibble);
    return this.buf.subarray(at, at + HASH_LENGTH);
  }

  leafKeyOffset(nibble: number): number {
    return this.keysStart + KEY_LENGTH * popcount16(this.leafmap & ((1 << nibble) - 1));
  }

  leafKey(nibble: number): Uint8Array {
    const at = this.off + this.leafKeyOffset(nibble);
    return this.buf.subarray(at, at + KEY_LENGTH);
  }

  /** True when the leaf child at `nibble` holds exactly `key` (compared in place, no allocation). */
  leafKeyEquals(nibble: number, key: Uint8Array): boolean {
    const buf = this.buf;
    let at = this.off + this.leafKeyOffset(nibble);
    for (let i = 0; i < KEY_LENGTH; i++, at++) if (buf[at] !== key[i]) return false;
    return true;
  }

  hashLatin1(): string {
    return sha256Latin1(this.buf.subarray(this.off, this.off + 3 + HASH_LENGTH * this.count));
  }

  hash(): Buffer {
    return Buffer.from(this.hashLatin1(), 'latin1');
  }

  /** Moves the node's bytes into `arena` (compaction). */
  moveTo(arena: NodeArena): void {
    const at = arena.alloc(this.length);
    this.buf.copy(arena.current, at, this.off, this.off + this.length);
    this.buf = arena.current;
    this.off = at;
  }
}

function corrupt(message: string): StoreError {
  return new StoreError('CORRUPT', message);
}

/** Decodes a node's bytes, checking its structure; throws CORRUPT (without the row's name: callers add it). */
export function decodeInternal(bytes: Uint8Array, version: number): InternalNode {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeInternalAt(buf, 0, buf.length, version);
}

/** decodeInternal over buf[off, off + length) without making a view. */
export function decodeInternalAt(buf: Buffer, off: number, length: number, version: number): InternalNode {
  const end = off + length;
  if (length < 5 || buf[off] !== 0x01) throw corrupt('not an internal node encoding');
  const bitmap = (buf[off + 1]! << 8) | buf[off + 2]!;
  const count = popcount16(bitmap);
  const hashesEnd = 3 + HASH_LENGTH * count;
  if (length < hashesEnd + 2) throw corrupt('internal node truncated');
  const leafmap = (buf[off + hashesEnd]! << 8) | buf[off + hashesEnd + 1]!;
  if ((leafmap & ~bitmap) !== 0) throw corrupt('leaf bitmap names an absent child');
  let at = off + hashesEnd + 2;
  for (let i = 0; i < count; i++) {
    const read = readVarint(buf, at);
    if (read === undefined || read.end > end) throw corrupt('bad child version');
    at = read.end;
  }
  const keysStart = at - off;
  const checkAt = at + KEY_LENGTH * popcount16(leafmap);
  if (checkAt + CHECK_LENGTH !== end) throw corrupt('internal node has a wrong length');
  const check = ((buf[checkAt]! << 24) | (buf[checkAt + 1]! << 16) | (buf[checkAt + 2]! << 8) | buf[checkAt + 3]!) >>> 0;
  if (check !== fnv1a(buf, off + hashesEnd, at)) throw corrupt('internal node check bytes do not match');
  return new InternalNode(version, buf, off, length, bitmap, leafmap, hashesEnd + 2, keysStart);
}

