/** Rebuilding a node from its old version and a commit's changes (the hot loop of a commit). */
import type { NodeArena } from './arena.ts';
import { fnv1a, popcount16 } from './binary.ts';
import { HASH_LENGTH, type Hash, sha256Latin1, writeHash } from './hashing.ts';
import { CHECK_LENGTH, type ChildKind, EMPTY, INTERNAL, InternalNode, LEAF } from './node-codec.ts';
import { KEY_LENGTH } from './nibble-path.ts';

/**
 * The children of a node being rebuilt by a commit: the old node's children, with the slots the commit touched
 * overridden. Untouched children are copied byte for byte from the old node when the new one is encoded, so a
 * rebuild allocates nothing per untouched child. One instance per depth is reused across a commit.
 */
export class ChildSlots {
  private base: InternalNode | undefined;
  private overridden = 0;
  private readonly kinds = new Uint8Array(16);
  private readonly versions = new Float64Array(16);
  private readonly hashes: (Hash | undefined)[] = new Array<Hash | undefined>(16).fill(undefined);
  private readonly keys: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(16).fill(undefined);
  private readonly scratchVersions = new Uint8Array(16 * 8);
  /** The hash of the node encode() last built. */
  lastHash = '';

  reset(base: InternalNode | undefined): void {
    this.base = base;
    this.overridden = 0;
  }

  kindOf(n: number): ChildKind {
    if (((this.overridden >> n) & 1) === 1) return this.kinds[n] as ChildKind;
    const base = this.base;
    if (base === undefined || !base.has(n)) return EMPTY;
    return base.isLeaf(n) ? LEAF : INTERNAL;
  }

  versionOf(n: number): number {
    return ((this.overridden >> n) & 1) === 1 ? this.versions[n]! : this.base!.childVersion(n);
  }

  hashOf(n: number): Hash | undefined {
    if (((this.overridden >> n) & 1) === 1) return this.hashes[n];
    return this.base?.has(n) === true ? this.base.childHash(n) : undefined;
  }

  keyOf(n: number): Uint8Array | undefined {
    if (((this.overridden >> n) & 1) === 1) return this.keys[n];
    return this.base?.isLeaf(n) === true ? this.base.leafKey(n) : undefined;
  }

  set(n: number, kind: ChildKind, version: number, childHash: Hash | undefined, key: Uint8Array | undefined): void {
    this.overridden |= 1 << n;
    this.kinds[n] = kind;
    this.versions[n] = version;
    this.hashes[n] = childHash;
    this.keys[n] = key;
  }

  /** Bitmap of the present children (old ones not overridden, plus overridden ones that are not empty). */
  private presentBits(leavesOnly: boolean): number {
    const base = this.base;
    const ov = this.overridden;
    let bits = base === undefined ? 0 : (leavesOnly ? base.leafmap : base.bitmap) & ~ov;
    for (let n = 0; n < 16; n++) {
      if (((ov >> n) & 1) === 0) continue;
      const kind = this.kinds[n];
      if (kind === LEAF || (kind === INTERNAL && !leavesOnly)) bits |= 1 << n;
    }
    return bits;
  }

  /** The single present child's nibble when there is exactly one child, -1 for none, 16 for several. */
  only(): number {
    const bits = this.presentBits(false);
    if (bits === 0) return -1;
    return (bits & (bits - 1)) === 0 ? 31 - Math.clz32(bits) : 16;
  }

  /**
   * Encodes the new node into the arena and remembers its hash in lastHash. The hot loop of a commit: untouched
   * children's hashes and keys are copied from the old node in runs, versions are re-encoded in one pass.
   */
  encode(arena: NodeArena, version: number): InternalNode {
    const base = this.base;
    const ov = this.overridden;
    const baseBitmap = base === undefined ? 0 : base.bitmap;
    const baseLeafmap = base === undefined ? 0 : base.leafmap;
    const bitmap = this.presentBits(false);
    const leafmap = this.presentBits(true);
    // Child versions, varint-encoded into a scratch buffer: overridden ones from the slots, the rest read in
    // order from the old node.
    const vbytes = this.scratchVersions;
    let vlen = 0;
    const bbuf = base?.buf;
    let baseAt = base === undefined ? 0 : base.off + base.versionsStart;
    for (let n = 0; n < 16; n++) {
      let v = -1;
      if (((baseBitmap >> n) & 1) === 1) {
        v = 0;
        let scale = 1;
        for (;;) {
          const byte = bbuf![baseAt++]!;
          v += (byte & 127) * scale;
          if (byte < 128) break;
          scale *= 128;
        }
      }
      if (((bitmap >> n) & 1) === 0) continue;
      if (((ov >> n) & 1) === 1) v = this.versions[n]!;
      while (v >= 128) {
        vbytes[vlen++] = (v % 128) | 128;
        v = Math.floor(v / 128);
      }
      vbytes[vlen++] = v;
    }
    const count = popcount16(bitmap);
    const hashesEnd = 3 + HASH_LENGTH * count;
    const keysStart = hashesEnd + 2 + vlen;
    const checkAt = keysStart + KEY_LENGTH * popcount16(leafmap);
    const length = checkAt + CHECK_LENGTH;
    const off = arena.alloc(length);
    const buf = arena.current;
    buf[off] = 0x01;
    buf[off + 1] = bitmap >> 8;
    buf[off + 2] = bitmap & 255;
    buf[off + hashesEnd] = leafmap >> 8;
    buf[off + hashesEnd + 1] = leafmap & 255;
    const versionsAt = off + hashesEnd + 2;
    for (let i = 0; i < vlen; i++) buf[versionsAt + i] = vbytes[i]!;
    // Hashes and keys: copy runs of untouched children from the old node, write the new ones.
    const baseHashes = base === undefined ? 0 : base.off + 3;
    const baseKeys = base === undefined ? 0 : base.off + base.keysStart;
    let hashAt = off + 3;
    let keyAt = off + keysStart;
    let baseRank = 0;
    let baseLeafRank = 0;
    let hashRunFrom = 0;
    let hashRunTo = 0;
    let hashRunLength = 0;
    let keyRunFrom = 0;
    let keyRunTo = 0;
    let keyRunLength = 0;
    for (let n = 0; n < 16; n++) {
      if (((bitmap >> n) & 1) === 1) {
        const leaf = ((leafmap >> n) & 1) === 1;
        if (((ov >> n) & 1) === 0) {
          const from = baseHashes + HASH_LENGTH * baseRank;
          if (hashRunLength > 0 && from === hashRunFrom + hashRunLength && hashAt === hashRunTo + hashRunLength) {
            hashRunLength += HASH_LENGTH;
          } else {
            if (hashRunLength > 0) buf.set(bbuf!.subarray(hashRunFrom, hashRunFrom + hashRunLength), hashRunTo);
            hashRunFrom = from;
            hashRunTo = hashAt;
            hashRunLength = HASH_LENGTH;
          }
          if (leaf) {
            const keyFrom = baseKeys + KEY_LENGTH * baseLeafRank;
            if (keyRunLength > 0 && keyFrom === keyRunFrom + keyRunLength && keyAt === keyRunTo + keyRunLength) {
              keyRunLength += KEY_LENGTH;
            } else {
              if (keyRunLength > 0) buf.set(bbuf!.subarray(keyRunFrom, keyRunFrom + keyRunLength), keyRunTo);
              keyRunFrom = keyFrom;
              keyRunTo = keyAt;
              keyRunLength = KEY_LENGTH;
            }
          }
        } else {
          writeHash(buf, hashAt, this.hashes[n]!);
          if (leaf) buf.set(this.keys[n]!, keyAt);
        }
        hashAt += HASH_LENGTH;
        if (leaf) keyAt += KEY_LENGTH;
      }
      baseRank += (baseBitmap >> n) & 1;
      baseLeafRank += (baseLeafmap >> n) & 1;
    }
    if (hashRunLength > 0) buf.set(bbuf!.subarray(hashRunFrom, hashRunFrom + hashRunLength), hashRunTo);
    if (keyRunLength > 0) buf.set(bbuf!.subarray(keyRunFrom, keyRunFrom + keyRunLength), keyRunTo);
    buf.writeUInt32BE(fnv1a(buf, off + hashesEnd, off + keysStart), off + checkAt);
    this.lastHash = sha256Latin1(buf.subarray(off, off + hashesEnd));
    return new InternalNode(version, buf, off, length, bitmap, leafmap, hashesEnd + 2, keysStart);
  }
}

